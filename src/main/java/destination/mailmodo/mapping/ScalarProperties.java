package destination.mailmodo.mapping;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Mailmodo accepts only string, number and boolean property values: objects are flattened with
 * {@code _}, arrays become their compact JSON text, nulls are left out.
 */
public final class ScalarProperties {

    private ScalarProperties() {
    }

    /** Every field of {@code object} flattened; empty when it is not an object. */
    public static Map<String, Object> flatten(JsonNode object) {
        Map<String, Object> target = new LinkedHashMap<>();
        if (object != null && object.isObject()) {
            object.properties().forEach(field -> flattenInto(field.getKey(), field.getValue(), target));
        }
        return target;
    }

    /** Puts {@code value} under {@code key}, or its leaves under {@code key_<child>} when it is an object. */
    public static void flattenInto(String key, JsonNode value, Map<String, Object> target) {
        if (value == null || value.isNull() || value.isMissingNode()) {
            return;
        }
        if (value.isObject()) {
            value.properties().forEach(field -> flattenInto(key + "_" + field.getKey(), field.getValue(), target));
        } else if (value.isArray()) {
            target.put(key, value.toString());
        } else {
            target.put(key, scalar(value));
        }
    }

    /**
     * The Java value of a JSON scalar: String, Boolean, Long for integral numbers that fit, else
     * BigDecimal; null for null, objects and arrays.
     */
    public static Object scalar(JsonNode value) {
        if (value == null || value.isNull() || value.isMissingNode() || value.isContainerNode()) {
            return null;
        }
        if (value.isTextual()) {
            return value.textValue();
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        if (value.isNumber()) {
            // the JSON type is kept: 2 stays integral, 2.0 stays decimal
            return value.isIntegralNumber() && value.canConvertToLong() ? (Object) value.longValue() : value.decimalValue();
        }
        return value.asText();
    }

    /** A number parsed from text, represented like {@link #scalar}: Long when integral and it fits, else BigDecimal. */
    static Object number(BigDecimal value) {
        if (value.scale() <= 0) {
            try {
                return value.longValueExact();
            } catch (ArithmeticException tooLarge) {
                return value;
            }
        }
        return value;
    }
}
