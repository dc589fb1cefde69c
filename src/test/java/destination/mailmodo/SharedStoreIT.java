package destination.mailmodo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.WireMock;
import org.junit.jupiter.api.Test;

/**
 * Two instances of the packaged jar on one PostgreSQL database (destination.store=postgresql, same jar, no
 * rebuild): what one learns the other uses, a messageId sent to both reaches Mailmodo once, a restart keeps it.
 */
class SharedStoreIT extends OnSharedDatabase {

    private static final String KEY = "mmkey-test-SHARED-IT";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected int mailmodoDelayMillis() {
        return 300;
    }

    private PackagedApp instance(String name) throws Exception {
        return PackagedApp.start("shared-" + name, database.settings("mailmodo.base-url=" + mailmodo.baseUrl()));
    }

    private int addEventCalls() {
        return mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/addEvent"))).size();
    }

    @Test
    void twoInstancesShareContactsAndDeliverEachMessageOnce() throws Exception {
        String identify = "{\"type\":\"identify\",\"userId\":\"s-user\",\"messageId\":\"s-1\",\"traits\":{\"email\":\"shared@example.com\"}}";
        String track = "{\"type\":\"track\",\"userId\":\"s-user\",\"messageId\":\"s-2\",\"event\":\"Raced\"}";
        try (PackagedApp a = instance("a"); PackagedApp b = instance("b")) {
            assertEquals(200, a.post(identify, KEY).statusCode());

            // the same messageId to both at once: the database's uniqueness decides, not a read-then-write
            CompletableFuture<HttpResponse<String>> onA = CompletableFuture.supplyAsync(() -> send(a, track));
            CompletableFuture<HttpResponse<String>> onB = CompletableFuture.supplyAsync(() -> send(b, track));
            List<HttpResponse<String>> answers = List.of(onA.get(), onB.get());
            long delivered = answers.stream().filter(r -> r.body().contains("\"delivered\"")).count();
            assertEquals(1, delivered, "answers: " + answers.stream().map(HttpResponse::body).toList());
            for (HttpResponse<String> other : answers) {
                if (!other.body().contains("\"delivered\"")) {
                    assertTrue(other.statusCode() == 503 || other.body().contains("\"duplicate\""), other.body());
                }
            }
            assertEquals(1, addEventCalls());
            // B used the contact A learned
            assertEquals("shared@example.com", JSON.readTree(
                    mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/addEvent"))).get(0).getBodyAsString()).get("email").asText());
            // Segment's redelivery to either instance is a duplicate
            assertTrue(b.post(track, KEY).body().contains("\"duplicate\""));
        }
        try (PackagedApp restarted = instance("a-again")) {
            assertTrue(restarted.post(identify, KEY).body().contains("\"duplicate\""), "the keys survived the restart");
            assertEquals(200, restarted.post("{\"type\":\"track\",\"userId\":\"s-user\",\"messageId\":\"s-3\",\"event\":\"Back\"}", KEY).statusCode());
        }
        assertEquals(2, addEventCalls());
    }

    private static HttpResponse<String> send(PackagedApp app, String body) {
        try {
            return app.post(body, KEY);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
