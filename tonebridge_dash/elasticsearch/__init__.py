"""Grafana's Elasticsearch requests evaluated on Lucene itself.

``lucene`` runs Debian's Lucene in one JVM per session (``java/``: the
query_string parser configured as Elasticsearch's, the indexing as its dynamic
mapping types fields); ``mapping`` types records as that dynamic mapping does;
``store`` holds indexes of records; ``evaluate`` answers one ``_msearch`` item
(matching by Lucene, then sorting, hits and ``aggregations``); ``lucene_query``
writes query_string text with every value quoted or escaped; ``targets`` builds
Grafana's Elasticsearch targets and ``request`` the ``_msearch`` item Grafana
sends for one; ``msearch`` finds a dashboard's targets, their time ranges and
variable values; ``client`` talks to a real cluster and ``check`` runs every
target there (``tb-dash check --elasticsearch-url``).
"""
