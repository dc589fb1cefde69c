package destination.mailmodo.mapping;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import com.fasterxml.jackson.databind.JsonNode;

class EventTimeTest {

    static Stream<Arguments> parseCases() {
        return CaseTable.rows("event-time-cases.json");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("parseCases")
    void parsesLeniently(JsonNode row) {
        Optional<Instant> expected = Optional.ofNullable(row.get("expected").textValue()).map(Instant::parse);

        assertEquals(expected, EventTime.parse(row.get("value")), row.get("name").asText());
    }
}
