package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static destination.mailmodo.e2e.MailmodoRequests.all;
import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.github.tomakehurst.wiremock.client.WireMock;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/** Segment redelivers: the same (tenant, messageId) reaches Mailmodo once, and a duplicate gets the first answer. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class DedupeEndToEndTest {

    @ConfigProperty(name = "destination.store.url")
    java.util.Optional<String> sharedStoreUrl;

    /** A connection of its own, as another process would open it: it sees only what is committed. */
    private Connection anotherConnection() throws Exception {
        return StoreUnderTest.postgresql() ? DriverManager.getConnection(sharedStoreUrl.orElseThrow(), "postgres", "")
                : DriverManager.getConnection("jdbc:sqlite:target/test-data/mailmodo-destination.db");
    }

    /** The state and HTTP status of a messageId's dedupe key as committed, or "absent". */
    private String committedKey(String messageId) throws Exception {
        try (Connection connection = anotherConnection();
                PreparedStatement select = connection.prepareStatement("SELECT state, http_status FROM processed_message WHERE message_id = ?")) {
            select.setString(1, messageId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) + " " + row.getInt(2) : "absent";
            }
        }
    }

    @Test
    void theAnswerLeavesOnlyOnceTheOutcomeIsCommitted() throws Exception {
        String key = TestKeys.fresh();
        String delivered = "durable-" + System.nanoTime();
        send(key, track(delivered, "durable@example.com")).statusCode(200).body("status", equalTo("delivered"));
        assertEquals("done 200", committedKey(delivered), "read by another connection the moment the answer arrived");
        // a young track for a user not known yet: 503, and its claim is dropped before the answer
        String unknown = "durable-unknown-" + System.nanoTime();
        send(key, "{\"type\":\"track\",\"messageId\":\"" + unknown + "\",\"userId\":\"nobody-" + unknown
                + "\",\"event\":\"Viewed\",\"timestamp\":\"" + Instant.now() + "\"}").statusCode(503)
                .body("reason", equalTo("unknown_user"));
        assertEquals("absent", committedKey(unknown));
    }

    private static String track(String messageId, String email) {
        return "{\"type\":\"track\",\"messageId\":\"" + messageId + "\",\"event\":\"Order Completed\",\"properties\":{\"email\":\"" + email + "\"}}";
    }

    @Test
    void sameMessageIdThreeTimesDeliversOnce() {
        String key = TestKeys.fresh();
        send(key, track("dup-1", "dup1@example.com")).statusCode(200).body("status", equalTo("delivered"));
        for (int i = 0; i < 2; i++) {
            send(key, track("dup-1", "dup1@example.com")).statusCode(200)
                    .body("status", equalTo("duplicate"))
                    .body("reason", equalTo("duplicate"))
                    .body("message", equalTo("duplicate of an event already delivered"))
                    .body("messageId", equalTo("dup-1"));
        }
        assertEquals(1, all(key).size());
    }

    @Test
    void concurrentRedeliveriesDeliverOnce() throws Exception {
        String key = TestKeys.fresh();
        MailmodoStub.server().stubFor(post(urlEqualTo("/addEvent")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(200).withBody("{\"success\":true}").withFixedDelay(400)));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<Response>> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Callable<Response> call = () -> Sender.as(key).body(track("dup-concurrent", "conc@example.com")).post(Sender.PATH);
                answers.add(pool.submit(call));
            }
            int delivered = 0;
            for (Future<Response> answer : answers) {
                Response response = answer.get();
                String status = response.jsonPath().getString("status");
                if ("delivered".equals(status)) {
                    delivered++;
                } else if (response.statusCode() == 503) {
                    assertEquals("in_flight", response.jsonPath().getString("reason"));
                    assertEquals("2", response.header("Retry-After"));
                } else {
                    assertEquals(200, response.statusCode());
                    assertEquals("duplicate", status);
                }
            }
            assertEquals(1, delivered);
        } finally {
            pool.shutdownNow();
        }
        send(key, track("dup-concurrent", "conc@example.com")).statusCode(200).body("status", equalTo("duplicate"));
        assertEquals(1, all(key).size());
    }

    @Test
    void duplicateOfARejectedEventGetsTheOriginal400() {
        String key = TestKeys.fresh();
        MailmodoStub.server().stubFor(post(urlEqualTo("/addEvent")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"event_name too long\"}")));
        for (int i = 0; i < 2; i++) {
            send(key, track("dup-rejected", "rej@example.com")).statusCode(400)
                    .body("status", equalTo("rejected"))
                    .body("reason", equalTo("mailmodo_rejected"))
                    .body("message", equalTo("Mailmodo rejected the event: event_name too long"));
        }
        assertEquals(1, all(key).size());
    }

    @Test
    void redeliveryAfterARetryableFailureDeliversExactlyOnce() {
        String key = TestKeys.fresh();
        String scenario = "outage-" + key;
        String state = STARTED;
        for (int i = 1; i <= 4; i++) { // four failures, then Mailmodo is back
            MailmodoStub.server().stubFor(post(urlEqualTo("/addEvent")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                    .inScenario(scenario).whenScenarioStateIs(state).willSetStateTo("down-" + i)
                    .willReturn(aResponse().withStatus(503)));
            state = "down-" + i;
        }
        send(key, track("dup-outage", "outage@example.com")).statusCode(503).body("status", equalTo("retry"));
        assertEquals(3, all(key).size(), "one attempt and two retries");
        // Segment redelivers: the failed claim was dropped, so the redelivery is processed (and now gets through)
        send(key, track("dup-outage", "outage@example.com")).statusCode(200).body("status", equalTo("delivered"));
        assertEquals(5, all(key).size(), "a failed attempt, then the delivery");
        send(key, track("dup-outage", "outage@example.com")).statusCode(200).body("status", equalTo("duplicate"));
        assertEquals(5, all(key).size(), "nothing after the delivery");
    }

    @Test
    void aRefusedEventInABatchIsAnsweredTheSameOnRedeliveryAndKeptOnce() {
        String key = TestKeys.fresh();
        MailmodoStub.server().stubFor(post(urlEqualTo("/addEvent")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(503)));
        String batch = "[{\"userId\":\"nt\",\"messageId\":\"notype-1\"}," + track("flaky-1", "flaky@example.com") + "]";
        for (int i = 0; i < 3; i++) {
            send(key, batch).statusCode(503)
                    .body("results.reason", equalTo(List.of("malformed", "mailmodo_unavailable")))
                    .body("results[0].message", equalTo("type is required"));
        }
        assertEquals(List.of("notype-1"), DeadLettersEndToEndTest.list(key, "").getList("deadLetters.messageId"));
    }

    @Test
    void twoTenantsWithOneMessageIdAreIndependent() {
        String a = TestKeys.fresh();
        String b = TestKeys.fresh();
        send(a, track("shared-msg", "ta@example.com")).statusCode(200).body("status", equalTo("delivered"));
        send(b, track("shared-msg", "tb@example.com")).statusCode(200).body("status", equalTo("delivered"));
        assertEquals(1, all(a).size());
        assertEquals(1, all(b).size());
    }

    @Test
    void eventsWithoutMessageIdDedupeOnTheirContent() {
        String key = TestKeys.fresh();
        String event = "{\"type\":\"track\",\"event\":\"No Id\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"properties\":{\"email\":\"noid@example.com\"}}";
        send(key, event).statusCode(200).body("status", equalTo("delivered"));
        send(key, event).statusCode(200).body("status", equalTo("duplicate"));
        assertEquals(1, all(key).size());
    }

    @Test
    void unknownUserWithinGraceIsProcessedAgainOnRedelivery() {
        String key = TestKeys.fresh();
        String track = "{\"type\":\"track\",\"userId\":\"late-identify\",\"messageId\":\"grace-1\",\"event\":\"Clicked\",\"timestamp\":\""
                + Instant.now() + "\"}";
        send(key, track).statusCode(503).body("reason", equalTo("unknown_user"));
        send(key, "{\"type\":\"identify\",\"userId\":\"late-identify\",\"traits\":{\"email\":\"late@example.com\"}}").statusCode(200);
        send(key, track).statusCode(200).body("status", equalTo("delivered"));
        assertEquals(1, MailmodoRequests.to("/addEvent", key).size());
    }

    @Test
    void duplicatesInsideOneBatchDeliverOnce() {
        String key = TestKeys.fresh();
        send(key, "[" + track("in-batch", "ib@example.com") + "," + track("in-batch", "ib@example.com") + "]")
                .statusCode(200)
                .body("results.status", equalTo(List.of("delivered", "duplicate")));
        assertEquals(1, all(key).size());
    }
}
