// Elasticsearch's date parsing for a date field queried in a query_string:
// the default format strict_date_optional_time||epoch_millis, in UTC, with
// date math (now, ||, +1h, -2d, /d) and the rounding of range bounds (an
// upper bound or a rounded date covers every millisecond it leaves out).

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

final class EsDates {
    private static final Pattern ISO = Pattern.compile(
        "(\\d{4})(?:-(\\d{2})(?:-(\\d{2})(?:T(\\d{2})(?::(\\d{2})(?::(\\d{2})(?:[.,](\\d{1,9}))?)?)?"
        + "(Z|[+-]\\d{2}(?::?\\d{2})?)?)?)?)?");
    private static final Pattern EPOCH = Pattern.compile("-?\\d+(?:\\.\\d+)?");

    private EsDates() {
    }

    static IllegalArgumentException failure(String text) {
        return new IllegalArgumentException(
            "failed to parse date field [" + text + "] with format [strict_date_optional_time||epoch_millis]");
    }

    /** Epoch milliseconds of {@code text}; {@code roundUp} rounds missing parts up (range upper bounds). */
    static long parse(String text, boolean roundUp, long now) {
        long time;
        String math;
        if (text.startsWith("now")) {
            time = now;
            math = text.substring(3);
        } else {
            int index = text.indexOf("||");
            if (index == -1) {
                return parseDate(text, roundUp);
            }
            time = parseDate(text.substring(0, index), false);
            math = text.substring(index + 2);
        }
        return applyMath(text, math, time, roundUp);
    }

    private static long parseDate(String text, boolean roundUp) {
        Matcher m = ISO.matcher(text);
        if (m.matches()) {
            try {
                int year = Integer.parseInt(m.group(1));
                int month = m.group(2) == null ? (roundUp ? 12 : 1) : Integer.parseInt(m.group(2));
                LocalDate firstOfMonth = LocalDate.of(year, month, 1);
                int day = m.group(3) == null ? (roundUp ? firstOfMonth.lengthOfMonth() : 1) : Integer.parseInt(m.group(3));
                int hour = m.group(4) == null ? (roundUp ? 23 : 0) : Integer.parseInt(m.group(4));
                int minute = m.group(5) == null ? (roundUp ? 59 : 0) : Integer.parseInt(m.group(5));
                int second = m.group(6) == null ? (roundUp ? 59 : 0) : Integer.parseInt(m.group(6));
                int nanos;
                if (m.group(7) == null) {
                    nanos = roundUp ? 999_999_999 : 0;
                } else {
                    nanos = Integer.parseInt((m.group(7) + "00000000").substring(0, 9));
                }
                LocalDateTime local = LocalDateTime.of(year, month, day, hour, minute, second, nanos);
                ZoneOffset zone = m.group(8) == null || m.group(8).equals("Z")
                    ? ZoneOffset.UTC : ZoneOffset.of(normalizeOffset(m.group(8)));
                return local.toInstant(zone).toEpochMilli();
            } catch (RuntimeException e) {
                throw failure(text);
            }
        }
        if (EPOCH.matcher(text).matches()) {
            try {
                return new java.math.BigDecimal(text).longValue();
            } catch (RuntimeException e) {
                throw failure(text);
            }
        }
        throw failure(text);
    }

    private static String normalizeOffset(String offset) {
        if (offset.length() == 5 && offset.indexOf(':') < 0) { // +0900
            return offset.substring(0, 3) + ":" + offset.substring(3);
        }
        return offset;
    }

    private static long applyMath(String whole, String math, long time, boolean roundUp) {
        ZonedDateTime date = java.time.Instant.ofEpochMilli(time).atZone(ZoneOffset.UTC);
        int i = 0;
        while (i < math.length()) {
            char op = math.charAt(i++);
            boolean round = false;
            int sign = 0;
            if (op == '/') {
                round = true;
            } else if (op == '+') {
                sign = 1;
            } else if (op == '-') {
                sign = -1;
            } else {
                throw new IllegalArgumentException("operator not supported for date math [" + whole + "]");
            }
            int amount = 1;
            if (!round) {
                int start = i;
                while (i < math.length() && Character.isDigit(math.charAt(i))) {
                    i++;
                }
                if (i > start) {
                    amount = Integer.parseInt(math.substring(start, i));
                }
            }
            if (i >= math.length()) {
                throw new IllegalArgumentException("truncated date math [" + whole + "]");
            }
            char unit = math.charAt(i++);
            ChronoUnit chrono;
            switch (unit) {
                case 'y': chrono = ChronoUnit.YEARS; break;
                case 'M': chrono = ChronoUnit.MONTHS; break;
                case 'w': chrono = ChronoUnit.WEEKS; break;
                case 'd': chrono = ChronoUnit.DAYS; break;
                case 'h': case 'H': chrono = ChronoUnit.HOURS; break;
                case 'm': chrono = ChronoUnit.MINUTES; break;
                case 's': chrono = ChronoUnit.SECONDS; break;
                default: throw new IllegalArgumentException("unit [" + unit + "] not supported for date math [" + whole + "]");
            }
            if (round) {
                date = truncate(date, chrono);
                if (roundUp) {
                    date = date.plus(1, chrono).minus(1, ChronoUnit.MILLIS);
                }
            } else {
                date = date.plus((long) sign * amount, chrono);
            }
        }
        return date.toInstant().toEpochMilli();
    }

    private static ZonedDateTime truncate(ZonedDateTime date, ChronoUnit unit) {
        switch (unit) {
            case YEARS: return date.withDayOfYear(1).truncatedTo(ChronoUnit.DAYS);
            case MONTHS: return date.withDayOfMonth(1).truncatedTo(ChronoUnit.DAYS);
            case WEEKS: return date.minusDays(date.getDayOfWeek().getValue() - 1).truncatedTo(ChronoUnit.DAYS);
            default: return date.truncatedTo(unit);
        }
    }
}
