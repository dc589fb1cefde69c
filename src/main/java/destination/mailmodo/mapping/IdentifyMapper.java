package destination.mailmodo.mapping;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.quarkus.runtime.annotations.RegisterForReflection;

/** Segment {@code identify} → Mailmodo contact upsert (DESIGN §5). */
@RegisterForReflection // named in routes/*.yaml
public final class IdentifyMapper {

    /** Traits that map to Mailmodo's own fields (or are not data at all); every other trait is custom. */
    private static final Set<String> RESERVED = Set.of(
            "email", "firstName", "first_name", "lastName", "last_name", "name", "gender", "age", "birthday",
            "phone", "title", "company", "industry", "description", "anniversaryDate", "anniversary_date",
            "address", "avatar", "website", "username", "createdAt", "created_at");

    private static final Set<String> ADDRESS_KEYS = Set.of("street", "city", "state", "country", "postalCode",
            "postal_code", "zip");

    private static final Set<String> COMPANY_KEYS = Set.of("name", "industry");

    private static final Pattern DECIMAL = Pattern.compile("-?\\d+(\\.\\d+)?");

    private IdentifyMapper() {
    }

    /** {@code email} is resolved and validated by the caller; it is not repeated inside {@code data}. */
    public static Contact toContact(JsonNode event, String email, String listName) {
        Traits traits = new Traits(event.path("traits"), event.path("context").path("traits"));
        Map<String, Object> data = new LinkedHashMap<>();

        String firstName = text(traits.find("firstName", "first_name"));
        String lastName = text(traits.find("lastName", "last_name"));
        put(data, "first_name", firstName);
        put(data, "last_name", lastName);
        String name = text(traits.find("name"));
        put(data, "name", name != null ? name : fullName(firstName, lastName));
        put(data, "gender", text(traits.find("gender")));
        put(data, "age", age(traits.find("age")));
        put(data, "birthday", date(traits.find("birthday")));
        put(data, "phone", text(traits.find("phone")));
        putAddress(traits.find("address"), data);
        put(data, "designation", text(traits.find("title")));
        put(data, "industry", text(traits.find("industry")));
        putCompany(traits.find("company"), data);
        put(data, "description", text(traits.find("description")));
        put(data, "anniversary_date", date(traits.find("anniversaryDate", "anniversary_date")));
        put(data, "avatar", text(traits.find("avatar")));
        put(data, "website", text(traits.find("website")));
        put(data, "username", text(traits.find("username")));
        // a custom trait never overwrites a field derived from a reserved one (e.g. "city" vs address.city)
        traits.custom().forEach(data::putIfAbsent);

        return new Contact(email, listName, data, createdAt(traits.find("createdAt", "created_at")),
                timezone(event.path("context").path("timezone")));
    }

    /** {@code traits} over {@code context.traits}; within one object, spellings in the order given. */
    private record Traits(JsonNode primary, JsonNode fallback) {

        JsonNode find(String... spellings) {
            return Stream.of(primary, fallback)
                    .flatMap(source -> Stream.of(spellings).map(source::path))
                    .filter(IdentifyMapper::present)
                    .findFirst()
                    .orElse(null);
        }

        /** Non-reserved traits of both objects, flattened; {@code traits} wins on the same key. */
        Map<String, Object> custom() {
            Map<String, Object> merged = new LinkedHashMap<>();
            Stream.of(fallback, primary).filter(JsonNode::isObject).forEach(source ->
                    source.properties().forEach(field -> {
                        if (!RESERVED.contains(field.getKey())) {
                            ScalarProperties.flattenInto(field.getKey(), field.getValue(), merged);
                        }
                    }));
            return merged;
        }
    }

    private static void putAddress(JsonNode address, Map<String, Object> data) {
        if (address == null || !address.isObject()) {
            put(data, "address1", text(address));
            return;
        }
        put(data, "address1", text(address.get("street")));
        put(data, "city", text(address.get("city")));
        put(data, "state", text(address.get("state")));
        put(data, "country", text(address.get("country")));
        put(data, "postal_code", text(Stream.of("postalCode", "postal_code", "zip").map(address::path)
                .filter(IdentifyMapper::present).findFirst().orElse(null)));
        address.properties().forEach(field -> {
            if (!ADDRESS_KEYS.contains(field.getKey())) {
                ScalarProperties.flattenInto("address_" + field.getKey(), field.getValue(), data);
            }
        });
    }

    private static void putCompany(JsonNode company, Map<String, Object> data) {
        if (company == null || !company.isObject()) {
            put(data, "company", text(company));
            return;
        }
        put(data, "company", text(company.get("name")));
        if (!data.containsKey("industry")) {
            // an explicit industry trait, put before, wins over the company's
            put(data, "industry", text(company.get("industry")));
        }
        company.properties().forEach(field -> {
            if (!COMPANY_KEYS.contains(field.getKey())) {
                ScalarProperties.flattenInto("company_" + field.getKey(), field.getValue(), data);
            }
        });
    }

    private static String fullName(String firstName, String lastName) {
        String joined = Stream.of(firstName, lastName)
                .filter(part -> part != null && !part.isBlank())
                .map(String::strip)
                .collect(Collectors.joining(" "));
        return joined.isEmpty() ? null : joined;
    }

    /** Mailmodo's age is a number: JSON numbers are kept, numeric strings converted, the rest dropped. */
    private static Object age(JsonNode age) {
        if (age == null) {
            return null;
        }
        if (age.isNumber()) {
            return ScalarProperties.scalar(age);
        }
        String text = age.isTextual() ? age.textValue().strip() : "";
        return DECIMAL.matcher(text).matches() ? ScalarProperties.number(new BigDecimal(text)) : null;
    }

    /** Mailmodo rejects the whole contact for a malformed date, so a string that is no date is dropped. */
    private static Object date(JsonNode date) {
        if (date == null) {
            return null;
        }
        if (date.isNumber()) {
            return ScalarProperties.scalar(date);
        }
        return date.isTextual() && EventTime.parse(date).isPresent() ? date.textValue() : null;
    }

    private static Object createdAt(JsonNode createdAt) {
        return createdAt != null && (createdAt.isTextual() || createdAt.isNumber())
                ? ScalarProperties.scalar(createdAt) : null;
    }

    private static String timezone(JsonNode timezone) {
        return timezone.isTextual() && !timezone.textValue().isBlank() ? timezone.textValue() : null;
    }

    /** Text of a scalar (Mailmodo's reserved fields are strings: a numeric phone becomes "5551234"). */
    private static String text(JsonNode value) {
        return value != null && value.isValueNode() && !value.isNull() ? value.asText() : null;
    }

    private static boolean present(JsonNode value) {
        return !value.isMissingNode() && !value.isNull();
    }

    private static void put(Map<String, Object> data, String key, Object value) {
        if (value != null) {
            data.put(key, value);
        }
    }
}
