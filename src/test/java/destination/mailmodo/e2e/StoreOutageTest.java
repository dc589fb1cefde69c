package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.client.WireMock;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The state store stops answering: events are answered 503 store_unavailable — one result for every event of a
 * batch — and the redelivery goes through once it is back. An outage that starts after Mailmodo accepted an event
 * loses nothing and sends nothing twice: what could not be recorded waits in memory and answers the resends.
 */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class StoreOutageTest {

    @ConfigProperty(name = "destination.store.url")
    java.util.Optional<String> sharedStoreUrl;

    /** Another process takes the store: the SQLite file's write lock, or PostgreSQL's table locks. */
    private Connection lockTheStore() throws Exception {
        if (StoreUnderTest.postgresql()) {
            Connection connection = DriverManager.getConnection(sharedStoreUrl.orElseThrow(), "postgres", "");
            try (Statement statement = connection.createStatement()) {
                statement.execute("BEGIN");
                statement.execute("LOCK TABLE processed_message, known_contact, dead_letter IN ACCESS EXCLUSIVE MODE");
            }
            return connection;
        }
        Connection connection = DriverManager.getConnection("jdbc:sqlite:target/test-data/mailmodo-destination.db");
        try (Statement statement = connection.createStatement()) {
            statement.execute("BEGIN EXCLUSIVE");
        }
        return connection;
    }

    /**
     * The store goes away: PostgreSQL refuses every connection to the database and ends the open ones; the
     * embedded file is locked by another process. Undone by closing what is returned.
     */
    private AutoCloseable cutTheStore() throws Exception {
        if (!StoreUnderTest.postgresql()) {
            Connection lock = lockTheStore();
            return () -> {
                try (lock; Statement release = lock.createStatement()) {
                    release.execute("ROLLBACK");
                }
            };
        }
        String database = sharedStoreUrl.orElseThrow().substring(sharedStoreUrl.orElseThrow().lastIndexOf('/') + 1);
        admin("ALTER DATABASE " + database + " ALLOW_CONNECTIONS false");
        admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
        return () -> admin("ALTER DATABASE " + database + " ALLOW_CONNECTIONS true");
    }

    private static void admin(String sql) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:5432/postgres", "postgres", "");
                Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    private static void awaitMailmodoCall(String key, String path) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 3000;
        while (MailmodoRequests.to(path, key).isEmpty()) {
            assertTrue(System.currentTimeMillis() < deadline, "Mailmodo was not called");
            Thread.sleep(10);
        }
    }

    /**
     * A Segment-like sender's batch: the identify reaches Mailmodo, then the store goes away before its outcome and
     * its contact are recorded. Every resend while the store is away answers the identify from memory; once it is
     * back, the tracks are delivered (one using the contact learned meanwhile), and Mailmodo saw each event once.
     */
    @Test
    void anOutageAfterMailmodoAcceptedSendsNothingTwice() throws Exception {
        String key = TestKeys.fresh();
        String run = Long.toString(System.nanoTime(), 36);
        MailmodoStub.server().stubFor(WireMock.post(WireMock.urlEqualTo("/addToList")).withHeader("mmApiKey", WireMock.equalTo(key))
                .atPriority(1).willReturn(WireMock.aResponse().withStatus(200).withFixedDelay(600)
                        .withHeader("Content-Type", "application/json").withBody("{\"success\":true}")));
        String batch = "[{\"type\":\"identify\",\"userId\":\"oa-" + run + "\",\"messageId\":\"oa-i-" + run
                + "\",\"traits\":{\"email\":\"oa@example.com\"}},"
                + "{\"type\":\"track\",\"userId\":\"oa-" + run + "\",\"messageId\":\"oa-t1-" + run + "\",\"event\":\"Outage One\",\"timestamp\":\""
                + java.time.Instant.now() + "\"},"
                + "{\"type\":\"track\",\"messageId\":\"oa-t2-" + run + "\",\"event\":\"Outage Two\",\"properties\":{\"email\":\"oa2@example.com\"}}]";
        List<String> ids = List.of("oa-i-" + run, "oa-t1-" + run, "oa-t2-" + run);

        CompletableFuture<io.restassured.response.Response> first = CompletableFuture.supplyAsync(
                () -> Sender.as(key).body(batch).post(Sender.PATH));
        awaitMailmodoCall(key, "/addToList");
        try (AutoCloseable outage = cutTheStore()) {
            io.restassured.response.Response answer = first.get(10, TimeUnit.SECONDS);
            assertEquals(503, answer.statusCode(), answer.asString());
            assertEquals(List.of("delivered", "retry", "retry"), answer.jsonPath().getList("results.status"), answer.asString());
            awaitUnrecorded(true);
            // Segment resends the batch while the store is still away: the identify is answered from memory
            io.restassured.response.Response resent = Sender.as(key).body(batch).post(Sender.PATH);
            assertEquals(503, resent.statusCode(), resent.asString());
            assertEquals(List.of("duplicate", "retry", "retry"), resent.jsonPath().getList("results.status"), resent.asString());
            assertEquals(List.of(ids.get(0)), resent.jsonPath().getList("results.findAll { it.status == 'duplicate' }.messageId"));
            assertEquals(503, given().get("/q/health/ready").statusCode(), "not ready while outcomes wait");
        }
        awaitUnrecorded(false);
        // the store is back: resends until everything is answered, as Segment does
        io.restassured.response.Response last = null;
        for (int attempt = 0; attempt < 10; attempt++) {
            last = Sender.as(key).body(batch).post(Sender.PATH);
            if (last.statusCode() == 200) {
                break;
            }
            Thread.sleep(300);
        }
        assertEquals(200, last.statusCode(), last.asString());
        assertEquals(List.of("duplicate", "delivered", "delivered"), last.jsonPath().getList("results.status"), last.asString());

        assertEquals(1, MailmodoRequests.to("/addToList", key).size(), "the identify reached Mailmodo once");
        List<com.github.tomakehurst.wiremock.verification.LoggedRequest> events = MailmodoRequests.to("/addEvent", key);
        assertEquals(List.of("Outage One", "Outage Two"), events.stream()
                .map(call -> MailmodoRequests.tree(call.getBodyAsString()).get("event_name").asText()).sorted().toList());
        assertEquals("oa@example.com", events.stream().map(call -> MailmodoRequests.tree(call.getBodyAsString()))
                .filter(body -> body.get("event_name").asText().equals("Outage One")).findFirst().orElseThrow().get("email").asText(),
                "the track used the contact learned while the store was away");
    }

    /** Waits until outcomes wait to be recorded (readiness says so), or until none does. */
    private static void awaitUnrecorded(boolean waiting) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 5000;
        while (true) {
            io.restassured.response.Response ready = given().get("/q/health/ready");
            int count = ready.jsonPath().getInt("checks.find { it.name == 'unrecorded outcomes' }.data.waiting");
            if ((count > 0) == waiting) {
                return;
            }
            assertTrue(System.currentTimeMillis() < deadline, "readiness: " + ready.asString());
            Thread.sleep(50);
        }
    }

    @Test
    void eventsAreRetriedNotLostWhileTheStoreIsDown() throws Exception {
        String key = TestKeys.fresh();
        String single = "{\"type\":\"identify\",\"userId\":\"so-1\",\"messageId\":\"so-m1\",\"traits\":{\"email\":\"so1@example.com\"}}";
        String batch = "[{\"type\":\"identify\",\"userId\":\"so-2\",\"messageId\":\"so-m2\",\"traits\":{\"email\":\"so2@example.com\"}},"
                + "{\"type\":\"identify\",\"userId\":\"so-3\",\"messageId\":\"so-m3\",\"traits\":{\"email\":\"so3@example.com\"}},"
                + "{\"type\":\"track\",\"messageId\":\"so-m4\",\"event\":\"E\",\"properties\":{\"email\":\"so4@example.com\"}}]";
        try (Connection lock = lockTheStore()) {
            send(key, single).statusCode(503)
                    .header("Retry-After", "2")
                    .body("reason", equalTo("store_unavailable"))
                    .body("message", equalTo("the destination's state store is unavailable; retry later"));
            send(key, batch).statusCode(503)
                    .body("results.messageId", equalTo(List.of("so-m2", "so-m3", "so-m4")))
                    .body("results.reason", equalTo(List.of("store_unavailable", "store_unavailable", "store_unavailable")));
            try (Statement release = lock.createStatement()) {
                release.execute("ROLLBACK");
            }
        }
        assertEquals(0, MailmodoRequests.all(key).size(), "nothing was sent without its dedupe key");
        send(key, single).statusCode(200).body("status", equalTo("delivered"));
        send(key, batch).statusCode(200).body("results.status", equalTo(List.of("delivered", "delivered", "delivered")));
    }
}
