// The query of one value (or range) on one field by its mapped type, as
// Elasticsearch's field types build them: keyword exact, long and float as
// points (a long's fractional bounds rounded inward, a fractional value
// matching nothing), date as a range rounded by EsDates, boolean as T/F.

import java.math.BigDecimal;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.document.FloatPoint;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TermRangeQuery;
import org.apache.lucene.util.BytesRef;

final class EsFieldQueries {
    private static final Analyzer KEYWORD = new KeywordAnalyzer();

    private EsFieldQueries() {
    }

    static Query term(String field, String type, String value, long now) {
        switch (type) {
            case "keyword":
                return new TermQuery(new Term(field, value));
            case "long": {
                BigDecimal v = number(value);
                if (v.stripTrailingZeros().scale() > 0) {
                    return new MatchNoDocsQuery("Value [" + value + "] has a decimal part");
                }
                return LongPoint.newExactQuery(field, toLong(v, value));
            }
            case "float":
                return FloatPoint.newExactQuery(field, toFloat(value));
            case "date":
                return LongPoint.newRangeQuery(field, EsDates.parse(value, false, now), EsDates.parse(value, true, now));
            case "boolean":
                return new TermQuery(new Term(field, booleanTerm(value)));
            default:
                throw new EsQueryParser.FieldError("unknown field type [" + type + "]");
        }
    }

    static Query range(String field, String type, String low, String high, boolean incLow, boolean incHigh,
                       long now) {
        switch (type) {
            case "text":
            case "keyword": {
                Analyzer norm = "text".equals(type) ? LuceneBridge.STANDARD : KEYWORD;
                BytesRef l = low == null ? null : norm.normalize(field, low);
                BytesRef h = high == null ? null : norm.normalize(field, high);
                return new TermRangeQuery(field, l, h, incLow, incHigh);
            }
            case "long": {
                long l = Long.MIN_VALUE;
                long h = Long.MAX_VALUE;
                if (low != null) {
                    BigDecimal v = number(low);
                    l = toLong(v.setScale(0, java.math.RoundingMode.DOWN), low);
                    boolean fraction = v.stripTrailingZeros().scale() > 0;
                    if ((!fraction && !incLow) || (fraction && v.signum() > 0)) {
                        if (l == Long.MAX_VALUE) {
                            return new MatchNoDocsQuery("empty range");
                        }
                        l++;
                    }
                }
                if (high != null) {
                    BigDecimal v = number(high);
                    h = toLong(v.setScale(0, java.math.RoundingMode.DOWN), high);
                    boolean fraction = v.stripTrailingZeros().scale() > 0;
                    if ((!fraction && !incHigh) || (fraction && v.signum() < 0)) {
                        if (h == Long.MIN_VALUE) {
                            return new MatchNoDocsQuery("empty range");
                        }
                        h--;
                    }
                }
                return LongPoint.newRangeQuery(field, l, h);
            }
            case "float": {
                float l = low == null ? Float.NEGATIVE_INFINITY : toFloat(low);
                float h = high == null ? Float.POSITIVE_INFINITY : toFloat(high);
                if (low != null && !incLow) {
                    l = FloatPoint.nextUp(l);
                }
                if (high != null && !incHigh) {
                    h = FloatPoint.nextDown(h);
                }
                return FloatPoint.newRangeQuery(field, l, h);
            }
            case "date": {
                long l = Long.MIN_VALUE;
                long h = Long.MAX_VALUE;
                if (low != null) {
                    l = EsDates.parse(low, !incLow, now);
                    if (!incLow) {
                        l++;
                    }
                }
                if (high != null) {
                    h = EsDates.parse(high, incHigh, now);
                    if (!incHigh) {
                        h--;
                    }
                }
                return LongPoint.newRangeQuery(field, l, h);
            }
            case "boolean":
                return new TermRangeQuery(field, low == null ? null : new BytesRef(booleanTerm(low)),
                    high == null ? null : new BytesRef(booleanTerm(high)), incLow, incHigh);
            default:
                throw new EsQueryParser.FieldError("unknown field type [" + type + "]");
        }
    }

    private static BigDecimal number(String value) {
        try {
            return new BigDecimal(value.trim());
        } catch (NumberFormatException e) {
            throw new EsQueryParser.FieldError("For input string: \"" + value + "\"");
        }
    }

    private static long toLong(BigDecimal v, String value) {
        try {
            return v.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
        } catch (ArithmeticException e) {
            throw new EsQueryParser.FieldError("Value [" + value + "] is out of range for a long");
        }
    }

    private static float toFloat(String value) {
        try {
            float f = Float.parseFloat(value.trim());
            if (Float.isInfinite(f)) {
                throw new EsQueryParser.FieldError("[float] supports only finite values, but got [" + value + "]");
            }
            return f;
        } catch (NumberFormatException e) {
            throw new EsQueryParser.FieldError("For input string: \"" + value + "\"");
        }
    }

    private static String booleanTerm(String value) {
        if ("true".equals(value)) {
            return "T";
        }
        if ("false".equals(value) || value.isEmpty()) {
            return "F";
        }
        throw new EsQueryParser.FieldError("Can't parse boolean value [" + value + "], expected [true] or [false]");
    }
}
