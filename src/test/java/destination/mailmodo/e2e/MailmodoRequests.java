package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;

/** What the stand-in Mailmodo received for one API key. */
public final class MailmodoRequests {

    /** Every header Mailmodo may see: ours, plus what the HTTP client adds. Nothing inbound leaks through. */
    public static final Set<String> ALLOWED_HEADERS = Set.of("mmApiKey", "Content-Type", "Accept", "Content-Length",
            "Host", "Connection", "User-Agent", "Accept-Encoding");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A value RestAssured parsed out of an answer, written back as JSON text. */
    public static final java.util.function.Function<Object, String> JSON_WRITER = value -> {
        try {
            return JSON.writeValueAsString(value);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    };

    private MailmodoRequests() {
    }

    public static List<LoggedRequest> to(String path, String apiKey) {
        return MailmodoStub.server().findAll(postRequestedFor(urlEqualTo(path)).withHeader("mmApiKey", equalTo(apiKey)));
    }

    public static List<LoggedRequest> all(String apiKey) {
        return MailmodoStub.server().findAll(postRequestedFor(com.github.tomakehurst.wiremock.client.WireMock.anyUrl())
                .withHeader("mmApiKey", equalTo(apiKey)));
    }

    /** Asserts exactly one call went to {@code path} with this key, with exactly this JSON body and clean headers. */
    public static void assertSingle(String path, String apiKey, String expectedJson) {
        List<LoggedRequest> calls = to(path, apiKey);
        assertEquals(1, calls.size(), "Mailmodo calls to " + path + " for this key");
        LoggedRequest call = calls.get(0);
        assertEquals(path, call.getUrl());
        assertEquals("POST", call.getMethod().getName());
        assertEquals(tree(expectedJson), tree(call.getBodyAsString()), "body Mailmodo received");
        assertEquals(apiKey, call.getHeader("mmApiKey"));
        assertEquals("application/json", call.getHeader("Content-Type").split(";")[0]);
        assertEquals("application/json", call.getHeader("Accept"));
        assertEquals(false, call.getHeader("User-Agent").contains("Segment"), "sender's User-Agent leaked");
        Set<String> leaked = new TreeSet<>(call.getAllHeaderKeys());
        leaked.removeIf(h -> ALLOWED_HEADERS.stream().anyMatch(a -> a.equalsIgnoreCase(h)));
        assertEquals(Set.of(), leaked, "headers that must not reach Mailmodo");
    }

    public static JsonNode tree(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }
}
