package destination.mailmodo.delivery;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.annotations.RegisterForReflection;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Named;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

/**
 * Classifies Mailmodo's answer (DESIGN §6): delivered = 2xx and {@code success} not false; otherwise a typed
 * exception telling whether the sender should retry, fix the event, or fix the key.
 */
@ApplicationScoped
@RegisterForReflection // Camel calls its methods by name from the YAML routes (native image)
@Named("mailmodoResponses")
public class MailmodoResponses {

    private static final int MAX_MESSAGE = 300;

    private final ObjectMapper json;

    public MailmodoResponses(ObjectMapper json) {
        this.json = json;
    }

    public void classify(@Header(Exchange.HTTP_RESPONSE_CODE) Integer status, @Header("Retry-After") String retryAfter,
            @Body String body) {
        int code = status == null ? 0 : status;
        JsonNode answer = readQuietly(body);
        if (code >= 200 && code < 300) {
            if (answer.path("success").isBoolean() && !answer.path("success").booleanValue()) {
                throw new PermanentMailmodoException(messageOf(answer, code));
            }
            return;
        }
        switch (code) {
            case 401, 403 -> throw new MailmodoAuthException(code);
            case 400, 404, 409, 422 -> throw new PermanentMailmodoException(messageOf(answer, code));
            default -> throw new RetryableMailmodoException(code, mailmodoRetryAfter(retryAfter));
        }
    }

    private JsonNode readQuietly(String body) {
        if (body == null || body.isBlank()) {
            return json.missingNode();
        }
        try {
            JsonNode node = json.readTree(body);
            return node == null ? json.missingNode() : node;
        } catch (Exception notJson) {
            return json.missingNode();
        }
    }

    private static String messageOf(JsonNode answer, int code) {
        JsonNode message = answer.path("message");
        if (!message.isTextual()) {
            message = answer.path("error");
        }
        String text = message.isTextual() && !message.asText().isBlank() ? message.asText() : "HTTP " + code;
        return text.length() > MAX_MESSAGE ? text.substring(0, MAX_MESSAGE) + "…" : text;
    }

    /** Mailmodo's Retry-After in seconds (1 s to 1 h), or null when it sent none that parses. */
    static Integer mailmodoRetryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.trim();
        long seconds;
        try {
            seconds = Long.parseLong(value);
        } catch (NumberFormatException notSeconds) {
            try {
                seconds = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME)).toSeconds();
            } catch (RuntimeException notDate) {
                return null;
            }
        }
        return (int) Math.max(1, Math.min(3600, seconds));
    }
}
