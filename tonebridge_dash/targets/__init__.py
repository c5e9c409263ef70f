"""Output targets above the dashboards and the rules: Kubernetes manifests (ConfigMaps, the
Grafana operator's and the Prometheus operator's resources) and Grafana's provisioning files."""
