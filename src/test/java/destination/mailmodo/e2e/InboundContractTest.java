package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.MailmodoRequests.all;
import static destination.mailmodo.e2e.Sender.send;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** DESIGN §3 statuses decided before Mailmodo is called: each with its exact status, reason and message. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class InboundContractTest {

    static Stream<Arguments> badInput() {
        return Stream.of(
                Arguments.of("{\"type\":\"identify\",", "malformed", "request body is not valid JSON"),
                Arguments.of("not json at all", "malformed", "request body is not valid JSON"),
                Arguments.of("null", "malformed", "an event must be a JSON object"),
                Arguments.of("\"identify\"", "malformed", "an event must be a JSON object"),
                Arguments.of("42", "malformed", "an event must be a JSON object"),
                Arguments.of("{} {}", "malformed", "request body is not valid JSON"),
                Arguments.of("{\"userId\":\"u1\"}", "malformed", "type is required"),
                Arguments.of("{\"type\":\"\"}", "malformed", "type is required"),
                Arguments.of("{\"type\":7}", "malformed", "type must be a string"),
                Arguments.of("{\"type\":\"identify\",\"traits\":\"a@example.com\"}", "malformed", "traits must be an object"),
                Arguments.of("{\"type\":\"identify\",\"traits\":[]}", "malformed", "traits must be an object"),
                Arguments.of("{\"type\":\"track\",\"event\":\"E\",\"properties\":5}", "malformed", "properties must be an object"),
                Arguments.of("{\"type\":\"identify\",\"context\":true}", "malformed", "context must be an object"),
                Arguments.of("{\"type\":\"identify\",\"integrations\":\"Mailmodo\"}", "malformed", "integrations must be an object"),
                Arguments.of("{\"type\":\"identify\",\"userId\":true}", "malformed", "userId must be a string"),
                Arguments.of("{\"type\":\"identify\",\"anonymousId\":{\"a\":1}}", "malformed", "anonymousId must be a string"),
                Arguments.of("{\"type\":\"identify\",\"userId\":[1]}", "malformed", "userId must be a string"),
                Arguments.of("{\"type\":\"identify\",\"traits\":{\"email\":\"f@example.com\",\"score\":1e999}}", "malformed",
                        "numbers must be finite (within the range of a double)"),
                Arguments.of("{\"type\":\"identify\",\"timestamp\":-1e999,\"traits\":{\"email\":\"f@example.com\"}}", "malformed",
                        "numbers must be finite (within the range of a double)"),
                Arguments.of("{\"type\":\"track\",\"event\":\"E\",\"properties\":{\"deep\":{\"x\":[1e400]}}}", "malformed",
                        "numbers must be finite (within the range of a double)"),
                Arguments.of("{\"type\":\"track\",\"event\":\"E\",\"properties\":{\"email\":\"no-at-sign\"}}", "invalid_email",
                        "email is not a valid address"),
                Arguments.of("{\"type\":\"track\",\"event\":[\"E\"]}", "malformed", "event must be a string"),
                Arguments.of("{\"type\":\"track\",\"event\":\"E\",\"messageId\":12}", "malformed", "messageId must be a string"),
                Arguments.of("{\"type\":\"identify\",\"traits\":{\"email\":\"a@@example.com\"}}", "invalid_email", "email is not a valid address"),
                Arguments.of("{\"type\":\"identify\",\"traits\":{\"email\":\"a@example\"}}", "invalid_email", "email is not a valid address"),
                Arguments.of("{\"type\":\"identify\",\"traits\":{\"email\":42}}", "invalid_email", "email is not a valid address"),
                Arguments.of("{\"type\":\"identify\",\"userId\":\"nobody\"}", "no_email", "email is required: the identify has no email and its userId is not known"));
    }

    @ParameterizedTest
    @MethodSource("badInput")
    void badInputIs400WithReasonAndNothingIsSent(String body, String reason, String message) {
        String key = TestKeys.fresh();
        send(key, body).statusCode(400)
                .contentType("application/json")
                .body("status", equalTo("rejected"))
                .body("reason", equalTo(reason))
                .body("message", equalTo(message));
        assertEquals(0, all(key).size());
    }

    @Test
    void emptyBodyIs400() {
        String key = TestKeys.fresh();
        Sender.as(key).post(Sender.PATH).then().statusCode(400)
                .body("reason", equalTo("malformed"))
                .body("message", equalTo("request body is empty: send one Segment event as a JSON object"));
    }

    @Test
    void invalidUtf8Is400() {
        String key = TestKeys.fresh();
        byte[] body = {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        Sender.as(key).body(body).post(Sender.PATH).then().statusCode(400).body("reason", equalTo("malformed"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"page", "screen", "group", "alias", "delete"})
    void otherSegmentCallsAre501(String type) {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"" + type + "\",\"userId\":\"u1\",\"traits\":{\"email\":\"x@example.com\"}}")
                .statusCode(501)
                .body("status", equalTo("unsupported"))
                .body("reason", equalTo("unsupported_type"))
                .body("message", equalTo(type + " calls are not supported by the Mailmodo destination"));
        assertEquals(0, all(key).size());
    }

    @Test
    void unknownTypeIs501() {
        send(TestKeys.fresh(), "{\"type\":\"Identify\"}").statusCode(501)
                .body("message", equalTo("only identify and track calls are supported"));
    }

    @Test
    void eventLargerThan32KiBIs413() {
        String key = TestKeys.fresh();
        String big = "x".repeat(33 * 1024);
        send(key, "{\"type\":\"identify\",\"traits\":{\"email\":\"big@example.com\",\"bio\":\"" + big + "\"}}")
                .statusCode(413)
                .body("reason", equalTo("too_large"))
                .body("message", equalTo("event is larger than 32 KiB"));
        assertEquals(0, all(key).size());
    }

    @Test
    void missingCredentialIs401() {
        given().contentType("application/json").body("{\"type\":\"identify\",\"traits\":{\"email\":\"a@example.com\"}}")
                .post(Sender.PATH).then().statusCode(401)
                .body("status", equalTo("rejected"))
                .body("reason", equalTo("unauthorized"))
                .body("message", equalTo("missing or invalid credential: send the Mailmodo API key as the Basic auth username"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Basic Og==", "Basic %%%", "Bearer some-token", "Digest abc", "Basic"})
    void unusableCredentialIs401(String authorization) {
        given().header("Authorization", authorization).contentType("application/json")
                .body("{\"type\":\"identify\",\"traits\":{\"email\":\"a@example.com\"}}")
                .post(Sender.PATH).then().statusCode(401).body("reason", equalTo("unauthorized"));
    }

    @Test
    void formBodyIs415() {
        String key = TestKeys.fresh();
        given().header("Authorization", Sender.basic(key)).contentType("application/x-www-form-urlencoded")
                .formParam("type", "identify").post(Sender.PATH).then().statusCode(415)
                .body("reason", equalTo("malformed"))
                .body("message", equalTo("Content-Type must be application/json"));
        given().header("Authorization", Sender.basic(key)).contentType("multipart/form-data")
                .multiPart("type", "identify").post(Sender.PATH).then().statusCode(415);
        assertEquals(0, all(key).size());
    }

    @Test
    void jsonDeclaredAsTextIsStillRead() {
        String key = TestKeys.fresh();
        given().header("Authorization", Sender.basic(key)).contentType("text/plain")
                .body("{\"type\":\"identify\",\"userId\":\"u-text\",\"traits\":{\"email\":\"text@example.com\"}}")
                .post(Sender.PATH).then().statusCode(200).body("status", equalTo("delivered"));
        assertEquals(1, all(key).size());
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET", "PUT", "DELETE", "PATCH"})
    void onlyPostIsAccepted(String method) {
        Sender.as(TestKeys.fresh()).body("{}").request(method, Sender.PATH).then().statusCode(405)
                .contentType("application/json")
                .body("message", equalTo("only POST is accepted"));
    }

    @Test
    void credentialsAndSettingsInTheQueryStringAreRefused() {
        String key = TestKeys.fresh();
        String basic = Sender.basic(key);
        given().contentType("application/json").queryParam("Authorization", basic)
                .body("{\"type\":\"identify\",\"traits\":{\"email\":\"q@example.com\"}}")
                .post(Sender.PATH).then().statusCode(400)
                .body("reason", equalTo("malformed"))
                .body("message", equalTo("query parameters are not accepted: send credentials and settings as headers"));
        Sender.as(key).queryParam("X-Segment-Settings", "eyJsaXN0TmFtZSI6IlEifQ==")
                .body("{\"type\":\"identify\",\"traits\":{\"email\":\"q@example.com\"}}")
                .post(Sender.PATH).then().statusCode(400).body("reason", equalTo("malformed"));
        assertEquals(0, all(key).size());
    }

    @Test
    void requestOverTheBodyLimitIs413WithJson() {
        String key = TestKeys.fresh();
        Sender.as(key).body("{\"type\":\"identify\",\"pad\":\"" + "x".repeat(600 * 1024) + "\"}")
                .post(Sender.PATH).then().statusCode(413)
                .contentType("application/json")
                .body("reason", equalTo("too_large"))
                .body("message", equalTo("request body is too large"));
        send(key, "{\"type\":\"identify\",\"userId\":\"u-big-after\",\"traits\":{\"email\":\"bigafter@example.com\"}}").statusCode(200);
        assertEquals(1, all(key).size());
    }

    @Test
    void fractionalNumericUserIdIsAString() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":1.5,\"traits\":{\"email\":\"frac@example.com\"}}").statusCode(200);
        assertEquals(1, all(key).size());
    }

    @Test
    void afterBadInputAValidEventIsStillDelivered() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":").statusCode(400);
        send(key, "{\"type\":\"identify\",\"userId\":\"u-after\",\"traits\":{\"email\":\"after@example.com\"}}").statusCode(200);
        assertEquals(1, all(key).size());
    }
}
