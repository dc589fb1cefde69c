package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.MailmodoRequests.all;
import static destination.mailmodo.e2e.MailmodoRequests.assertSingle;
import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.nullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** Identify calls over real HTTP, WireMock as Mailmodo: the exact upsert Mailmodo gets and the sender's answer. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class IdentifyEndToEndTest {

    @Test
    void seedIdentifyBecomesContactUpsert() {
        String key = TestKeys.fresh();
        send(key, """
                {"type":"identify","userId":"userId12345","messageId":"msg-seed-1",
                 "traits":{"firstName":"Bob","lastName":"Dole","email":"bob.dole@example.com","company":"Initech","employees":234}}""")
                .statusCode(200)
                .body("status", equalTo("delivered"))
                .body("message", equalTo("delivered to Mailmodo"))
                .body("messageId", equalTo("msg-seed-1"));
        assertSingle("/addToList", key, """
                {"email":"bob.dole@example.com","listName":"Segment",
                 "data":{"first_name":"Bob","last_name":"Dole","name":"Bob Dole","company":"Initech","employees":234}}""");
    }

    @Test
    void inboundHeadersNeverReachMailmodoNorComeBack() {
        String key = TestKeys.fresh();
        Sender.as(key).header("X-Forwarded-For", "10.0.0.1").header("Cookie", "session=abc")
                .header("X-Request-Id", "req-1")
                .body("{\"type\":\"identify\",\"userId\":\"u-headers\",\"traits\":{\"email\":\"headers@example.com\"}}")
                .post(Sender.PATH).then()
                .statusCode(200)
                .header("Authorization", nullValue())
                .header("X-Request-Id", nullValue())
                .header("mmApiKey", nullValue());
        assertSingle("/addToList", key, """
                {"email":"headers@example.com","listName":"Segment","data":{}}""");
    }

    @Test
    void listNameFromSegmentSettingsHeader() {
        String key = TestKeys.fresh();
        String settings = Base64.getEncoder().encodeToString("{\"apiKey\":\"ignored\",\"listName\":\"VIP\"}".getBytes(StandardCharsets.UTF_8));
        Sender.as(key).header("X-Segment-Settings", settings)
                .body("{\"type\":\"identify\",\"userId\":\"u-vip\",\"traits\":{\"email\":\"vip@example.com\",\"plan\":{\"tier\":\"pro\"}},\"context\":{\"timezone\":\"Europe/Berlin\"}}")
                .post(Sender.PATH).then().statusCode(200).body("status", equalTo("delivered"));
        assertSingle("/addToList", key, """
                {"email":"vip@example.com","listName":"VIP","data":{"plan_tier":"pro"},"timezone":"Europe/Berlin"}""");
    }

    @Test
    void malformedSettingsHeaderIs400() {
        String key = TestKeys.fresh();
        Sender.as(key).header("X-Segment-Settings", "%%%not-base64")
                .body("{\"type\":\"identify\",\"userId\":\"u1\",\"traits\":{\"email\":\"a@example.com\"}}")
                .post(Sender.PATH).then().statusCode(400)
                .body("reason", equalTo("malformed"))
                .body("message", equalTo("X-Segment-Settings must be base64-encoded JSON"));
        assertEquals(0, all(key).size());
    }

    @Test
    void identifyWithoutEmailUsesStoredEmailOfKnownUser() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-known\",\"timestamp\":\"2026-01-01T00:00:00Z\",\"traits\":{\"email\":\"known@example.com\"}}")
                .statusCode(200);
        // an Engage audience update: no email, only the audience boolean
        send(key, "{\"type\":\"identify\",\"userId\":\"u-known\",\"traits\":{\"vip_buyers\":true},\"context\":{\"personas\":{\"computation_key\":\"vip_buyers\"}}}")
                .statusCode(200).body("status", equalTo("delivered"));
        var calls = MailmodoRequests.to("/addToList", key);
        assertEquals(2, calls.size());
        assertEquals(MailmodoRequests.tree("{\"email\":\"known@example.com\",\"listName\":\"Segment\",\"data\":{\"vip_buyers\":true}}"),
                MailmodoRequests.tree(calls.get(1).getBodyAsString()));
    }

    @Test
    void identifyWithoutEmailForUnknownUserIs400() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-nobody\",\"traits\":{\"firstName\":\"Ann\"}}")
                .statusCode(400)
                .body("status", equalTo("rejected"))
                .body("reason", equalTo("no_email"))
                .body("message", equalTo("email is required: the identify has no email and its userId is not known"));
        assertEquals(0, all(key).size());
    }

    @Test
    void invalidEmailIs400EvenWhenUserIsKnown() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-inv\",\"traits\":{\"email\":\"good@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"identify\",\"userId\":\"u-inv\",\"traits\":{\"email\":\"not an email\"}}")
                .statusCode(400)
                .body("reason", equalTo("invalid_email"))
                .body("message", equalTo("email is not a valid address"));
        assertEquals(1, all(key).size());
    }

    @Test
    void numericUserIdIsTreatedAsString() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":42,\"traits\":{\"email\":\"n42@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"track\",\"userId\":\"42\",\"event\":\"Signed In\",\"timestamp\":\"2026-01-02T03:04:05Z\"}")
                .statusCode(200);
        assertEquals(MailmodoRequests.tree("{\"email\":\"n42@example.com\",\"event_name\":\"Signed In\",\"ts\":1767323045,\"event_properties\":{}}"),
                MailmodoRequests.tree(MailmodoRequests.to("/addEvent", key).get(0).getBodyAsString()));
    }

    @Test
    void newestIdentifyByEventTimeWins() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-moved\",\"timestamp\":\"2026-03-01T00:00:00Z\",\"traits\":{\"email\":\"new@example.com\"}}").statusCode(200);
        // a late redelivery of an older identify must not bring the old address back
        send(key, "{\"type\":\"identify\",\"userId\":\"u-moved\",\"timestamp\":\"2026-02-01T00:00:00Z\",\"traits\":{\"email\":\"old@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"track\",\"userId\":\"u-moved\",\"event\":\"Order Completed\"}").statusCode(200);
        assertEquals("new@example.com", MailmodoRequests.tree(MailmodoRequests.to("/addEvent", key).get(0).getBodyAsString())
                .get("email").asText());
    }

    @Test
    void integrationsMailmodoFalseIsSkipped() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-skip\",\"integrations\":{\"Mailmodo\":false},\"traits\":{\"email\":\"skip@example.com\"}}")
                .statusCode(200)
                .body("status", equalTo("skipped"))
                .body("reason", equalTo("integration_disabled"))
                .body("message", equalTo("skipped: integrations.Mailmodo is false"));
        assertEquals(0, all(key).size());
    }

    @Test
    void otherIntegrationsFlagsDoNotDropTheEvent() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"u-all\",\"integrations\":{\"All\":false,\"Mailmodo\":true},\"traits\":{\"email\":\"all@example.com\"}}")
                .statusCode(200).body("status", equalTo("delivered"));
        assertEquals(1, all(key).size());
    }
}
