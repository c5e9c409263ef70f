// The bridge between tb-dash and Lucene: one JVM per session reading one JSON
// request per line on stdin and answering one JSON line on stdout. It keeps
// in-memory Lucene indexes of documents typed as Elasticsearch's dynamic
// mapping types them, and finds the documents a query_string (parsed by
// EsQueryParser) and range filters match. A bad request or query is an
// answer with an error, never the end of the process.

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.standard.StandardTokenizer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FloatPoint;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.SortedDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SortedDocValues;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.TokenMgrError;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.SimpleCollector;
import org.apache.lucene.store.ByteBuffersDirectory;
import org.apache.lucene.util.BytesRef;

public final class LuceneBridge {
    /** Elasticsearch's standard analyzer: standard tokenizer, lower case, no stop words, gap 100. */
    static final Analyzer STANDARD = new Analyzer() {
        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            StandardTokenizer tokenizer = new StandardTokenizer();
            tokenizer.setMaxTokenLength(255);
            return new TokenStreamComponents(tokenizer, new LowerCaseFilter(tokenizer));
        }

        @Override
        protected TokenStream normalize(String fieldName, TokenStream in) {
            return new LowerCaseFilter(in);
        }

        @Override
        public int getPositionIncrementGap(String fieldName) {
            return 100;
        }
    };

    private static final class Index {
        final Map<String, String> types = new LinkedHashMap<>();
        final ByteBuffersDirectory directory = new ByteBuffersDirectory();
        final IndexWriter writer;
        IndexSearcher searcher;

        Index() throws IOException {
            writer = new IndexWriter(directory, new IndexWriterConfig(STANDARD));
        }
    }

    private final Map<String, Index> indexes = new HashMap<>();

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        LuceneBridge bridge = new LuceneBridge();
        String line;
        while ((line = in.readLine()) != null) {
            String answer;
            try {
                answer = bridge.handle(line);
            } catch (ParseException | TokenMgrError e) {
                answer = error("parse_exception", oneLine(e.getMessage()));
            } catch (EsQueryParser.FieldError e) {
                answer = error("query_shard_exception", "failed to create query: " + oneLine(e.getMessage()));
            } catch (BooleanQuery.TooManyClauses e) {
                answer = error("too_many_clauses", "too_many_clauses: " + oneLine(e.getMessage()));
            } catch (StackOverflowError e) {
                answer = error("query_shard_exception", "the query is nested too deeply");
            } catch (RuntimeException e) {
                answer = error("illegal_argument_exception", oneLine(String.valueOf(e.getMessage())));
            }
            out.println(answer);
            out.flush();
        }
    }

    private static String oneLine(String message) {
        return message == null ? "" : message.replace('\n', ' ').replace('\r', ' ').trim();
    }

    private static String error(String type, String reason) {
        return "{\"ok\":false,\"type\":" + Json.quote(type) + ",\"reason\":" + Json.quote(reason) + "}";
    }

    @SuppressWarnings("unchecked")
    private String handle(String line) throws IOException, ParseException {
        Object parsed = Json.parse(line);
        if (!(parsed instanceof Map)) {
            throw new IllegalArgumentException("a request is a JSON object");
        }
        Map<String, Object> request = (Map<String, Object>) parsed;
        String op = String.valueOf(request.get("op"));
        switch (op) {
            case "ping":
                return "{\"ok\":true}";
            case "index":
                return index((String) request.get("index"), (Map<String, Object>) request.get("mapping"),
                    (List<Object>) request.get("docs"));
            case "search":
                return search(request);
            default:
                throw new IllegalArgumentException("unknown op [" + op + "]");
        }
    }

    @SuppressWarnings("unchecked")
    private String index(String name, Map<String, Object> mapping, List<Object> docs) throws IOException {
        Index index = indexes.get(name);
        if (index == null) {
            index = new Index();
            indexes.put(name, index);
        }
        for (Map.Entry<String, Object> e : mapping.entrySet()) {
            index.types.put(e.getKey(), (String) e.getValue());
        }
        for (Object item : docs) {
            Map<String, Object> doc = (Map<String, Object>) item;
            Document d = new Document();
            String id = (String) doc.get("id");
            d.add(new StringField("_id", id, Field.Store.NO));
            d.add(new SortedDocValuesField("_id", new BytesRef(id)));
            Map<String, Object> fields = (Map<String, Object>) doc.get("fields");
            for (Map.Entry<String, Object> f : fields.entrySet()) {
                String field = f.getKey();
                String type = index.types.get(field);
                List<Object> values = (List<Object>) f.getValue();
                if (type == null) {
                    throw new IllegalArgumentException("field [" + field + "] is not in the mapping");
                }
                for (Object value : values) {
                    addValue(d, field, type, value);
                }
                if (!values.isEmpty()) {
                    d.add(new StringField(EsQueryParser.FIELD_NAMES, field, Field.Store.NO));
                }
            }
            index.writer.addDocument(d);
        }
        index.writer.commit();
        index.searcher = new IndexSearcher(DirectoryReader.open(index.directory));
        return "{\"ok\":true,\"count\":" + index.writer.getDocStats().numDocs + "}";
    }

    private static void addValue(Document d, String field, String type, Object value) {
        switch (type) {
            case "text":
                d.add(new TextField(field, (String) value, Field.Store.NO));
                break;
            case "keyword":
                d.add(new StringField(field, (String) value, Field.Store.NO));
                break;
            case "long":
            case "date":
                d.add(new LongPoint(field, ((Json.Num) value).asLong()));
                break;
            case "float":
                d.add(new FloatPoint(field, (float) ((Json.Num) value).asDouble()));
                break;
            case "boolean":
                d.add(new StringField(field, ((Boolean) value) ? "T" : "F", Field.Store.NO));
                break;
            default:
                throw new IllegalArgumentException("unknown field type [" + type + "] of [" + field + "]");
        }
    }

    @SuppressWarnings("unchecked")
    private String search(Map<String, Object> request) throws IOException, ParseException {
        List<Object> names = (List<Object>) request.get("indexes");
        List<Object> queries = (List<Object>) request.getOrDefault("queries", new ArrayList<>());
        boolean lenient = !Boolean.FALSE.equals(request.get("lenient"));
        boolean analyzeWildcard = Boolean.TRUE.equals(request.get("analyze_wildcard"));
        long now = ((Json.Num) request.get("now")).asLong();
        List<Object> ranges = (List<Object>) request.getOrDefault("ranges", new ArrayList<>());
        StringBuilder ids = new StringBuilder();
        String described = "";
        for (Object n : names) {
            Index index = indexes.get((String) n);
            if (index == null || index.searcher == null) {
                continue;
            }
            BooleanQuery.Builder all = new BooleanQuery.Builder();
            StringBuilder parsed = new StringBuilder();
            for (Object text : queries) {
                Query q = new EsQueryParser(index.types, lenient, now, analyzeWildcard).parse((String) text);
                if (q == null) {
                    q = new MatchNoDocsQuery("no terms left after analysis");
                }
                parsed.append(parsed.length() > 0 ? " " : "").append('#').append(q);
                all.add(q, BooleanClause.Occur.FILTER);
            }
            described = parsed.toString();
            for (Object r : ranges) {
                all.add(rangeFilter(index, (Map<String, Object>) r, now), BooleanClause.Occur.FILTER);
            }
            collect(index.searcher, all.build(), ids);
        }
        return "{\"ok\":true,\"ids\":[" + ids + "],\"query\":" + Json.quote(described) + "}";
    }

    /** A range filter of the request's JSON query (gte/lte/gt/lt, epoch_millis on a date field). */
    private static Query rangeFilter(Index index, Map<String, Object> range, long now) {
        String field = (String) range.get("field");
        String type = index.types.get(field);
        if (type == null) {
            return new MatchNoDocsQuery("unmapped field [" + field + "]");
        }
        String gte = text(range.get("gte"));
        String gt = text(range.get("gt"));
        String lte = text(range.get("lte"));
        String lt = text(range.get("lt"));
        String low = gte != null ? gte : gt;
        String high = lte != null ? lte : lt;
        if ("date".equals(type) && "epoch_millis".equals(range.get("format"))) {
            long l = low == null ? Long.MIN_VALUE : new java.math.BigDecimal(low).longValue() + (gte == null ? 1 : 0);
            long h = high == null ? Long.MAX_VALUE : new java.math.BigDecimal(high).longValue() - (lte == null ? 1 : 0);
            return LongPoint.newRangeQuery(field, l, h);
        }
        try {
            EsQueryParser parser = new EsQueryParser(index.types, false, now, false);
            return parser.rangeFilter(field, low, high, gte != null || low == null, lte != null || high == null);
        } catch (ParseException e) {
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        return value instanceof Json.Num ? ((Json.Num) value).text : String.valueOf(value);
    }

    private static void collect(IndexSearcher searcher, Query query, StringBuilder ids) throws IOException {
        searcher.search(query, new SimpleCollector() {
            private SortedDocValues values;

            @Override
            protected void doSetNextReader(LeafReaderContext context) throws IOException {
                values = context.reader().getSortedDocValues("_id");
            }

            @Override
            public void collect(int doc) throws IOException {
                if (values.advanceExact(doc)) {
                    if (ids.length() > 0) {
                        ids.append(',');
                    }
                    ids.append(Json.quote(values.binaryValue().utf8ToString()));
                }
            }

            @Override
            public ScoreMode scoreMode() {
                return ScoreMode.COMPLETE_NO_SCORES;
            }
        });
    }
}
