// Lucene's classic query parser configured and overridden the way
// Elasticsearch's query_string query is (its QueryStringQueryParser): default
// operator OR, leading wildcards allowed, no split on whitespace, the default
// field "*" expanded to every mapped field, and each field queried by its
// mapped type: text analyzed by the standard analyzer, keyword exact, long
// and float as points, date as a rounded range, "field:>=n" as a range.
// With lenient (Elasticsearch's default when the query names no field, as
// Grafana's do not), a value the field cannot hold matches nothing.

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.index.Term;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.DisjunctionMaxQuery;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.MatchAllDocsQuery;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.RegexpQuery;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.WildcardQuery;
import org.apache.lucene.util.QueryBuilder;
import org.apache.lucene.util.automaton.RegExp;

final class EsQueryParser extends QueryParser {
    static final String ALL = "*";
    static final String FIELD_NAMES = "_field_names";
    /** What a bare "~" yields (Lucene 8.7 hides the slop's text): Elasticsearch's AUTO fuzziness. */
    private static final float AUTO_FUZZINESS = 1000f;
    private static final Pattern WILDCARD = Pattern.compile("(\\\\.)|([?*]+)");

    /** A value a field cannot hold (Elasticsearch's "failed to create query"). */
    static final class FieldError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        FieldError(String message) {
            super(message);
        }
    }

    private final Map<String, String> types;
    private final boolean lenient;
    private final long now;
    private final boolean analyzeWildcard;
    private final QueryBuilder text;

    EsQueryParser(Map<String, String> types, boolean lenient, long now, boolean analyzeWildcard) {
        super(ALL, LuceneBridge.STANDARD);
        this.types = types;
        this.lenient = lenient;
        this.now = now;
        this.analyzeWildcard = analyzeWildcard;
        this.text = new QueryBuilder(LuceneBridge.STANDARD);
        setDefaultOperator(QueryParser.Operator.OR);
        setAllowLeadingWildcard(true);
        setSplitOnWhitespace(false);
        setAutoGeneratePhraseQueries(false);
        setEnablePositionIncrements(true);
        setFuzzyMinSim(AUTO_FUZZINESS);
    }

    @Override
    public Query parse(String query) throws ParseException {
        if (query.trim().isEmpty()) {
            return new MatchNoDocsQuery("no terms present");
        }
        return super.parse(query);
    }

    /** A range query of the JSON query DSL (not query_string) on one field. */
    Query rangeFilter(String field, String low, String high, boolean incLow, boolean incHigh) throws ParseException {
        return getRangeQuery(field, low, high, incLow, incHigh);
    }

    // -- fields ---------------------------------------------------------

    private List<String> fields(String field) {
        List<String> out = new ArrayList<>();
        if (field.indexOf('*') < 0) {
            out.add(field);
            return out;
        }
        for (String name : types.keySet()) {
            if (globMatch(field, name)) {
                out.add(name);
            }
        }
        return out;
    }

    private static boolean globMatch(String pattern, String name) {
        String regex = Pattern.quote(pattern).replace("*", "\\E.*\\Q");
        return name.matches(regex);
    }

    private interface PerField {
        Query build(String field, String type) throws ParseException;
    }

    /** One query per field the name resolves to, as a dis_max; nulls (no terms) dropped. */
    private Query perField(String field, PerField builder) throws ParseException {
        List<Query> queries = new ArrayList<>();
        for (String name : fields(field)) {
            String type = types.get(name);
            if (type == null) {
                queries.add(new MatchNoDocsQuery("unmapped field [" + name + "]"));
                continue;
            }
            try {
                Query q = builder.build(name, type);
                if (q != null) {
                    queries.add(q);
                }
            } catch (FieldError | IllegalArgumentException e) {
                if (!lenient) {
                    throw new FieldError(e.getMessage());
                }
                queries.add(new MatchNoDocsQuery("lenient: " + e.getMessage()));
            }
        }
        if (queries.isEmpty()) {
            return fields(field).isEmpty() ? new MatchNoDocsQuery("no field matches [" + field + "]") : null;
        }
        return queries.size() == 1 ? queries.get(0) : new DisjunctionMaxQuery(queries, 0f);
    }

    private static FieldError unsupported(String what, String field, String type) {
        return new FieldError("Can only use " + what + " queries on keyword and text fields - not on ["
            + field + "] which is of type [" + type + "]");
    }

    // -- the parser's hooks -----------------------------------------------

    @Override
    protected Query getFieldQuery(String field, String queryText, boolean quoted) throws ParseException {
        if ("_exists_".equals(field)) {
            return exists(queryText);
        }
        if (quoted) {
            return getFieldQuery(field, queryText, getPhraseSlop());
        }
        if (field != null && queryText.length() > 1) {
            char first = queryText.charAt(0);
            boolean equal = queryText.length() > 2 && queryText.charAt(1) == '=';
            if (first == '>') {
                return equal ? getRangeQuery(field, queryText.substring(2), null, true, true)
                    : getRangeQuery(field, queryText.substring(1), null, false, true);
            }
            if (first == '<') {
                return equal ? getRangeQuery(field, null, queryText.substring(2), true, true)
                    : getRangeQuery(field, null, queryText.substring(1), true, false);
            }
        }
        return perField(field, (name, type) -> "text".equals(type)
            ? text.createBooleanQuery(name, queryText, BooleanClause.Occur.SHOULD)
            : EsFieldQueries.term(name, type, queryText, now));
    }

    @Override
    protected Query getFieldQuery(String field, String queryText, int slop) throws ParseException {
        if ("_exists_".equals(field)) {
            return exists(queryText);
        }
        return perField(field, (name, type) -> "text".equals(type)
            ? text.createPhraseQuery(name, queryText, slop)
            : EsFieldQueries.term(name, type, queryText, now));
    }

    @Override
    protected Query getRangeQuery(String field, String part1, String part2, boolean startInclusive,
                                  boolean endInclusive) throws ParseException {
        String low = "*".equals(part1) ? null : part1;
        String high = "*".equals(part2) ? null : part2;
        return perField(field, (name, type) -> EsFieldQueries.range(name, type, low, high, startInclusive, endInclusive, now));
    }

    @Override
    protected Query getWildcardQuery(String field, String termStr) throws ParseException {
        if ("*".equals(termStr)) {
            return ALL.equals(field) ? new MatchAllDocsQuery() : exists(field);
        }
        return perField(field, (name, type) -> {
            if ("text".equals(type)) {
                return new WildcardQuery(new Term(name, normalizeWildcard(name, termStr)));
            }
            if ("keyword".equals(type)) {
                return new WildcardQuery(new Term(name, termStr));
            }
            throw unsupported("wildcard", name, type);
        });
    }

    @Override
    protected Query getPrefixQuery(String field, String termStr) throws ParseException {
        return perField(field, (name, type) -> {
            if ("text".equals(type)) {
                return analyzeWildcard ? analyzedPrefix(name, termStr)
                    : new PrefixQuery(new Term(name, LuceneBridge.STANDARD.normalize(name, termStr)));
            }
            if ("keyword".equals(type)) {
                return new PrefixQuery(new Term(name, termStr));
            }
            throw new FieldError("Can only use prefix queries on keyword, text and wildcard fields - not on ["
                + name + "] which is of type [" + type + "]");
        });
    }

    @Override
    protected Query getRegexpQuery(String field, String termStr) throws ParseException {
        return perField(field, (name, type) -> {
            if ("text".equals(type) || "keyword".equals(type)) {
                return new RegexpQuery(new Term(name, termStr), RegExp.ALL);
            }
            throw unsupported("regexp", name, type);
        });
    }

    @Override
    protected Query getFuzzyQuery(String field, String termStr, float minSimilarity) throws ParseException {
        return perField(field, (name, type) -> {
            if (!"text".equals(type) && !"keyword".equals(type)) {
                throw unsupported("fuzzy", name, type);
            }
            String term = "text".equals(type) ? LuceneBridge.STANDARD.normalize(name, termStr).utf8ToString() : termStr;
            int length = term.codePointCount(0, term.length());
            int edits = minSimilarity == AUTO_FUZZINESS ? (length < 3 ? 0 : length < 6 ? 1 : 2) : (int) minSimilarity;
            if (edits > 2) {
                throw new FieldError("Valid edit distances are [0, 1, 2] but was [" + edits + "]");
            }
            return new FuzzyQuery(new Term(name, term), edits, getFuzzyPrefixLength());
        });
    }

    @Override
    protected Query getBooleanQuery(List<BooleanClause> clauses) throws ParseException {
        Query q = super.getBooleanQuery(clauses);
        if (!(q instanceof BooleanQuery)) {
            return q;
        }
        // A query of only negative clauses matches what they exclude from everything.
        BooleanQuery bq = (BooleanQuery) q;
        for (BooleanClause clause : bq.clauses()) {
            if (clause.getOccur() != BooleanClause.Occur.MUST_NOT) {
                return q;
            }
        }
        BooleanQuery.Builder fixed = new BooleanQuery.Builder();
        for (BooleanClause clause : bq.clauses()) {
            fixed.add(clause);
        }
        fixed.add(new MatchAllDocsQuery(), BooleanClause.Occur.FILTER);
        return fixed.build();
    }

    // -- queries by type --------------------------------------------------

    private Query exists(String field) {
        List<String> names = fields(field);
        BooleanQuery.Builder any = new BooleanQuery.Builder();
        for (String name : names) {
            any.add(new TermQuery(new Term(FIELD_NAMES, name)), BooleanClause.Occur.SHOULD);
        }
        return names.isEmpty() ? new MatchNoDocsQuery("no field matches [" + field + "]") : any.build();
    }

    /** The pattern with every part between wildcards and escapes lower-cased as the analyzer normalizes. */
    private static String normalizeWildcard(String field, String pattern) {
        StringBuilder out = new StringBuilder();
        Matcher m = WILDCARD.matcher(pattern);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) {
                out.append(LuceneBridge.STANDARD.normalize(field, pattern.substring(last, m.start())).utf8ToString());
            }
            out.append(m.group());
            last = m.end();
        }
        if (last < pattern.length()) {
            out.append(LuceneBridge.STANDARD.normalize(field, pattern.substring(last)).utf8ToString());
        }
        return out.toString();
    }

    /** analyze_wildcard on a text field: the prefix analyzed, the last token a prefix, the others terms. */
    private Query analyzedPrefix(String field, String termStr) {
        List<String> tokens = new ArrayList<>();
        try (TokenStream source = LuceneBridge.STANDARD.tokenStream(field, termStr)) {
            CharTermAttribute term = source.addAttribute(CharTermAttribute.class);
            source.addAttribute(PositionIncrementAttribute.class);
            source.reset();
            while (source.incrementToken()) {
                tokens.add(term.toString());
            }
            source.end();
        } catch (IOException e) {
            throw new FieldError(e.getMessage());
        }
        if (tokens.isEmpty()) {
            return null;
        }
        if (tokens.size() == 1) {
            return new PrefixQuery(new Term(field, tokens.get(0)));
        }
        BooleanQuery.Builder all = new BooleanQuery.Builder();
        BooleanClause.Occur occur = getDefaultOperator() == QueryParser.Operator.AND
            ? BooleanClause.Occur.MUST : BooleanClause.Occur.SHOULD;
        for (int i = 0; i < tokens.size(); i++) {
            Term t = new Term(field, tokens.get(i));
            all.add(i == tokens.size() - 1 ? new PrefixQuery(t) : new TermQuery(t), occur);
        }
        return all.build();
    }
}
