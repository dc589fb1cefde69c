package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * The state store stops answering (another process holds the embedded file's write lock): events are answered
 * 503 store_unavailable — one result for every event of a batch — and the redelivery goes through once it is back.
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
