package destination.mailmodo.segment;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import destination.mailmodo.event.EventRejected;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Exchange;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Per-destination settings Segment sends as {@code X-Segment-Settings: base64(JSON)}; only listName is honoured. */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("segmentSettings")
public class SegmentSettings {

    private final ObjectMapper json;
    private final String defaultListName;

    public SegmentSettings(ObjectMapper json, @ConfigProperty(name = "mailmodo.list-name") String defaultListName) {
        this.json = json;
        this.defaultListName = defaultListName;
    }

    /** The ingest's step: the request's X-Segment-Settings header. */
    public String listNameOf(Exchange exchange) {
        return listName(exchange.getMessage().getHeader("X-Segment-Settings", String.class));
    }

    public String listName(String settingsHeader) {
        if (settingsHeader == null || settingsHeader.isBlank()) {
            return defaultListName;
        }
        JsonNode settings;
        try {
            settings = json.readTree(new String(Base64.getDecoder().decode(settingsHeader.trim()), StandardCharsets.UTF_8));
        } catch (Exception notBase64Json) {
            throw EventRejected.malformed("X-Segment-Settings must be base64-encoded JSON");
        }
        JsonNode listName = settings == null ? null : settings.get("listName");
        if (listName == null || listName.isNull() || (listName.isTextual() && listName.asText().isBlank())) {
            return defaultListName;
        }
        if (!listName.isTextual()) {
            throw EventRejected.malformed("X-Segment-Settings listName must be a string");
        }
        return listName.asText().trim();
    }
}
