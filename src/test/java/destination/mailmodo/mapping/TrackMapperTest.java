package destination.mailmodo.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

class TrackMapperTest {

    static Stream<Arguments> trackCases() {
        return CaseTable.rows("track-cases.json");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trackCases")
    void trackBecomesTheAddEventBody(JsonNode row) {
        CustomEvent event = TrackMapper.toEvent(row.get("event"), row.get("email").asText());

        assertEquals(row.get("expected"), CaseTable.sent(event), row.get("name").asText());
    }
}
