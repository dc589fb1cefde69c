package destination.mailmodo.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

class IdentifyMapperTest {

    static Stream<Arguments> identifyCases() {
        return CaseTable.rows("identify-cases.json");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("identifyCases")
    void identifyBecomesTheAddToListBody(JsonNode row) {
        Contact contact = IdentifyMapper.toContact(row.get("event"), row.get("email").asText(), row.get("listName").asText());

        assertEquals(row.get("expected"), CaseTable.sent(contact), row.get("name").asText());
    }
}
