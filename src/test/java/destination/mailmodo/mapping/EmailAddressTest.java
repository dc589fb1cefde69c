package destination.mailmodo.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

class EmailAddressTest {

    static Stream<Arguments> findCases() {
        return CaseTable.rows("email-find-cases.json");
    }

    static Stream<Arguments> validityCases() {
        return CaseTable.rows("email-valid-cases.json");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("findCases")
    void findsTheFirstNonBlankEmail(JsonNode row) {
        Optional<String> expected = Optional.ofNullable(row.get("expected").textValue());

        assertEquals(expected, EmailAddress.find(row.get("event")), row.get("name").asText());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("validityCases")
    void judgesWhetherItLooksLikeAnEmail(JsonNode row) {
        assertEquals(row.get("valid").booleanValue(), EmailAddress.isValid(row.get("email").textValue()),
                row.get("name").asText());
    }
}
