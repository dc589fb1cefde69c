package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.MailmodoRequests.all;
import static destination.mailmodo.e2e.MailmodoRequests.assertSingle;
import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Track calls: enrichment from the known-contact store, the unknown-user filter, the exact custom event. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class TrackEndToEndTest {

    @Test
    void seedTrackOfKnownUserBecomesCustomEvent() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-seed\",\"traits\":{\"email\":\"seed.buyer@example.com\"}}").statusCode(200);
        send(key, """
                {"type":"track","userId":"u-seed","event":"Product Viewed","messageId":"msg-track-1",
                 "timestamp":"2026-05-04T10:00:00.000Z",
                 "properties":{"product_id":"507f1f77bcf86cd799439011","name":"Monopoly: 3rd Edition","price":18.99,
                   "url":"https://www.example.com/product/path","image_url":"https://www.example.com/product/path.jpg"}}""")
                .statusCode(200)
                .body("status", equalTo("delivered"))
                .body("messageId", equalTo("msg-track-1"));
        assertSingle("/addEvent", key, """
                {"email":"seed.buyer@example.com","event_name":"Product Viewed","ts":1777888800,
                 "event_properties":{"product_id":"507f1f77bcf86cd799439011","name":"Monopoly: 3rd Edition","price":18.99,
                   "url":"https://www.example.com/product/path","image_url":"https://www.example.com/product/path.jpg"}}""");
    }

    @Test
    void trackWithItsOwnEmailNeedsNoStore() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"track\",\"userId\":\"u-never-seen\",\"event\":\"Trial Started\",\"originalTimestamp\":\"2026-05-04T10:00:00Z\","
                + "\"context\":{\"traits\":{\"email\":\"ctx@example.com\"}},\"properties\":{\"plan\":{\"name\":\"pro\"},\"tags\":[\"a\",\"b\"],\"gone\":null}}")
                .statusCode(200).body("status", equalTo("delivered"));
        assertSingle("/addEvent", key, """
                {"email":"ctx@example.com","event_name":"Trial Started","ts":1777888800,
                 "event_properties":{"plan_name":"pro","tags":"[\\"a\\",\\"b\\"]"}}""");
    }

    @Test
    void trackByAnonymousIdOfKnownContact() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"anonymousId\":\"anon-7\",\"traits\":{\"email\":\"anon7@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"track\",\"anonymousId\":\"anon-7\",\"event\":\"Cart Viewed\"}").statusCode(200);
        assertEquals("anon7@example.com",
                MailmodoRequests.tree(MailmodoRequests.to("/addEvent", key).get(0).getBodyAsString()).get("email").asText());
    }

    @Test
    void unknownUserWithinGraceIs503RetryLater() {
        String key = TestKeys.fresh();
        String now = Instant.now().minus(1, ChronoUnit.MINUTES).toString();
        send(key, "{\"type\":\"track\",\"userId\":\"u-early\",\"event\":\"Clicked\",\"timestamp\":\"" + now + "\"}")
                .statusCode(503)
                .header("Retry-After", "60")
                .body("status", equalTo("retry"))
                .body("reason", equalTo("unknown_user"))
                .body("message", equalTo("user is not known yet: no identify with an email has been delivered for it; retry later"));
        assertEquals(0, all(key).size());
    }

    @Test
    void unknownUserPastGraceIs400() {
        String key = TestKeys.fresh();
        String old = Instant.now().minus(11, ChronoUnit.MINUTES).toString();
        send(key, "{\"type\":\"track\",\"userId\":\"u-late\",\"event\":\"Clicked\",\"timestamp\":\"" + old + "\"}")
                .statusCode(400)
                .body("status", equalTo("rejected"))
                .body("reason", equalTo("unknown_user"))
                .body("message", equalTo("unknown user: no identify with an email was delivered for this userId or anonymousId"));
        assertEquals(0, all(key).size());
    }

    @Test
    void unknownUserWithoutAnyTimeCountsAsOld() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"track\",\"userId\":\"u-timeless\",\"event\":\"Clicked\"}")
                .statusCode(400).body("reason", equalTo("unknown_user"));
    }

    @Test
    void graceUsesReceivedAtWhenNoOtherTime() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"track\",\"userId\":\"u-recv\",\"event\":\"Clicked\",\"receivedAt\":\"" + Instant.now() + "\"}")
                .statusCode(503).body("reason", equalTo("unknown_user"));
    }

    @Test
    void trackWithoutEventIs400() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"track\",\"userId\":\"u1\",\"properties\":{\"email\":\"p@example.com\"}}")
                .statusCode(400)
                .body("reason", equalTo("missing_event"))
                .body("message", equalTo("track requires an event name"));
        send(key, "{\"type\":\"track\",\"userId\":\"u1\",\"event\":\"  \",\"properties\":{\"email\":\"p@example.com\"}}")
                .statusCode(400).body("reason", equalTo("missing_event"));
        assertEquals(0, all(key).size());
    }

    @Test
    void identifyThenTrackForNewUserDeliversBoth() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-new\",\"traits\":{\"email\":\"fresh@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"track\",\"userId\":\"u-new\",\"event\":\"Signed Up\",\"timestamp\":\"" + Instant.now() + "\"}")
                .statusCode(200);
        assertEquals(1, MailmodoRequests.to("/addToList", key).size());
        assertEquals("fresh@example.com",
                MailmodoRequests.tree(MailmodoRequests.to("/addEvent", key).get(0).getBodyAsString()).get("email").asText());
    }

    @Test
    void unknownUserFarInTheFutureCountsAsOld() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"track\",\"userId\":\"u-future\",\"event\":\"Clicked\",\"timestamp\":\""
                + Instant.now().plus(1, ChronoUnit.DAYS) + "\"}")
                .statusCode(400).body("reason", equalTo("unknown_user"));
        send(key, "{\"type\":\"track\",\"userId\":\"u-skew\",\"event\":\"Clicked\",\"timestamp\":\""
                + Instant.now().plus(2, ChronoUnit.MINUTES) + "\"}")
                .statusCode(503).body("reason", equalTo("unknown_user"));
    }
}
