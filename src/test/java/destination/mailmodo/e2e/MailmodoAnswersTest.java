package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static destination.mailmodo.e2e.Sender.send;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How Mailmodo's answer becomes the sender's (DESIGN §3, §6), in passthrough mode. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class MailmodoAnswersTest {

    private static final String IDENTIFY = "{\"type\":\"identify\",\"userId\":\"u-m\",\"traits\":{\"email\":\"m@example.com\"}}";

    static void mailmodoAnswers(String key, String path, ResponseDefinitionBuilder response) {
        MailmodoStub.server().stubFor(post(urlEqualTo(path)).withHeader("mmApiKey", equalTo(key)).atPriority(1).willReturn(response));
    }

    static ResponseDefinitionBuilder json(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "400|{\"success\":false,\"message\":\"listName is required\"}|Mailmodo rejected the event: listName is required",
            "404|{\"error\":\"error\",\"message\":\"Some Internal Error Occurred: 404\"}|Mailmodo rejected the event: Some Internal Error Occurred: 404",
            "409|{\"message\":\"conflict\"}|Mailmodo rejected the event: conflict",
            "422|not json|Mailmodo rejected the event: HTTP 422",
            "200|{\"success\":false,\"message\":\"The provided email is not a valid email id\"}|Mailmodo rejected the event: The provided email is not a valid email id"})
    void permanentRejectionIs400WithMailmodosMessage(int status, String body, String message) {
        String key = TestKeys.fresh();
        mailmodoAnswers(key, "/addToList", json(status, body));
        send(key, IDENTIFY).statusCode(400)
                .body("status", org.hamcrest.Matchers.equalTo("rejected"))
                .body("reason", org.hamcrest.Matchers.equalTo("mailmodo_rejected"))
                .body("message", org.hamcrest.Matchers.equalTo(message));
        assertEquals(1, MailmodoRequests.all(key).size());
    }

    @Test
    void rejectedIdentifyIsNotLearned() {
        String key = TestKeys.fresh();
        mailmodoAnswers(key, "/addToList", json(400, "{\"success\":false,\"message\":\"Cannot add users to static segmentation list\"}"));
        send(key, IDENTIFY).statusCode(400);
        send(key, "{\"type\":\"track\",\"userId\":\"u-m\",\"event\":\"E\"}").statusCode(400)
                .body("reason", org.hamcrest.Matchers.equalTo("unknown_user"));
        assertEquals(0, MailmodoRequests.to("/addEvent", key).size());
    }

    @ParameterizedTest
    @CsvSource({"401,Mailmodo rejected the API key", "403,Mailmodo denied this API key access"})
    void authFailureIsPassedThrough(int status, String message) {
        String key = TestKeys.fresh();
        mailmodoAnswers(key, "/addToList", json(status, "{\"message\":\"Invalid API key\"}"));
        send(key, IDENTIFY).statusCode(status)
                .body("reason", org.hamcrest.Matchers.equalTo("mailmodo_auth"))
                .body("message", org.hamcrest.Matchers.equalTo(message));
    }

    @ParameterizedTest
    @CsvSource({"500,,2,mailmodo_unavailable", "502,,2,mailmodo_unavailable", "503,5,5,mailmodo_unavailable",
            "408,,2,mailmodo_unavailable", "429,7,7,rate_limited"})
    void retryableAnswerIs503WithRetryAfter(int status, String retryAfter, String expectedRetryAfter, String reason) {
        String key = TestKeys.fresh();
        ResponseDefinitionBuilder response = json(status, "{\"message\":\"busy\"}");
        if (retryAfter != null) {
            response = response.withHeader("Retry-After", retryAfter);
        }
        mailmodoAnswers(key, "/addEvent", response);
        send(key, "{\"type\":\"track\",\"event\":\"E\",\"properties\":{\"email\":\"r@example.com\"}}").statusCode(503)
                .header("Retry-After", expectedRetryAfter)
                .body("status", org.hamcrest.Matchers.equalTo("retry"))
                .body("reason", org.hamcrest.Matchers.equalTo(reason))
                .body("message", org.hamcrest.Matchers.equalTo("Mailmodo is temporarily unavailable (HTTP " + status + "); retry later"));
    }

    @Test
    void onlyOurHeadersGoBackToTheSender() {
        String key = TestKeys.fresh();
        mailmodoAnswers(key, "/addToList", json(429, "{\"message\":\"slow down\"}").withHeader("Retry-After", "3")
                .withHeader("Set-Cookie", "mm-session=secret").withHeader("X-Mailmodo-Trace", "t-1"));
        var response = Sender.as(key).body(IDENTIFY).post(Sender.PATH);
        assertEquals(503, response.statusCode());
        java.util.Set<String> names = new java.util.TreeSet<>();
        response.headers().forEach(h -> names.add(h.getName().toLowerCase(java.util.Locale.ROOT)));
        names.removeAll(java.util.Set.of("transfer-encoding", "content-length"));
        assertEquals(java.util.Set.of("content-type", "retry-after"), names);
        assertEquals("3", response.header("Retry-After"));
    }

    @Test
    void slowMailmodoIs503TimeoutInsideTheDeadline() {
        String key = TestKeys.fresh();
        mailmodoAnswers(key, "/addToList", json(200, "{\"success\":true}").withFixedDelay(3000));
        long start = System.nanoTime();
        send(key, IDENTIFY).statusCode(503)
                .header("Retry-After", "2")
                .body("reason", org.hamcrest.Matchers.equalTo("timeout"))
                .body("message", org.hamcrest.Matchers.equalTo("Mailmodo did not answer in time"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        // 1.2 s attempt, 250 ms, 1.2 s attempt: a third (1 s later) would not fit the 3.5 s budget
        assertTrue(millis >= 2400 && millis < 3500, "answered after " + millis + " ms");
        assertEquals(2, MailmodoRequests.all(key).size(), "attempts");
    }

    @Test
    void brokenConnectionIs503() {
        String key = TestKeys.fresh();
        mailmodoAnswers(key, "/addToList", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER));
        send(key, IDENTIFY).statusCode(503)
                .header("Retry-After", "2")
                .body("reason", org.hamcrest.Matchers.equalTo("mailmodo_unavailable"))
                .body("message", org.hamcrest.Matchers.equalTo("Mailmodo could not be reached"));
    }
}
