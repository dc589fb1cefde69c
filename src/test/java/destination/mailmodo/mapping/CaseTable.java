package destination.mailmodo.mapping;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Test rows kept as JSON under {@code src/test/resources/mapping/}, each named by its "name". */
final class CaseTable {

    static final ObjectMapper MAPPER = new ObjectMapper();

    private CaseTable() {
    }

    static Stream<Arguments> rows(String file) {
        try (InputStream in = CaseTable.class.getResourceAsStream("/mapping/" + file)) {
            if (in == null) {
                throw new IllegalStateException("missing test table " + file);
            }
            JsonNode table = MAPPER.readTree(in);
            return StreamSupport.stream(table.spliterator(), false)
                    .map(row -> Arguments.of(Named.of(row.path("name").asText(), row)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The JSON Mailmodo would receive, read back as a tree so numbers compare as JSON, not as Java types. */
    static JsonNode sent(Object body) {
        try {
            return MAPPER.readTree(MAPPER.writeValueAsString(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
