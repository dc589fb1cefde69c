package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static destination.mailmodo.e2e.MailmodoRequests.all;
import static destination.mailmodo.e2e.MailmodoRequests.tree;
import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

/** Batches (DESIGN §3): envelope and bare array, per-event results, order per user, the request budget. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
@TestProfile(BatchEndToEndTest.SingleUpserts.class)
class BatchEndToEndTest {

    /** Identifies one by one here; the /addToList/batch path has its own test. */
    public static class SingleUpserts implements QuarkusTestProfile {
        @Override
        public java.util.Map<String, String> getConfigOverrides() {
            return java.util.Map.of("mailmodo.identify.batch", "false");
        }
    }

    private static List<String> paths(String key) {
        return all(key).stream().map(LoggedRequest::getUrl).toList();
    }

    @Test
    void identifyThenTrackOfANewUserBothDeliveredIdentifyFirst() {
        String key = TestKeys.fresh();
        send(key, """
                {"batch":[
                  {"type":"identify","userId":"b-new","messageId":"b1","traits":{"email":"bnew@example.com"}},
                  {"type":"track","userId":"b-new","messageId":"b2","event":"Signed Up"}],
                 "writeKey":"ignored","sentAt":"2026-11-29T00:00:00Z","_metadata":{"bundled":["x"]}}""")
                .statusCode(200)
                .body("message", equalTo("batch processed: see results"))
                .body("results", hasSize(2))
                .body("results[0].messageId", equalTo("b1"))
                .body("results[0].status", equalTo("delivered"))
                .body("results[1].messageId", equalTo("b2"))
                .body("results[1].status", equalTo("delivered"));
        assertEquals(List.of("/addToList", "/addEvent"), paths(key));
        assertEquals("bnew@example.com", tree(MailmodoRequests.to("/addEvent", key).get(0).getBodyAsString()).get("email").asText());
    }

    @Test
    void bareArrayIsABatch() {
        String key = TestKeys.fresh();
        send(key, "[{\"type\":\"identify\",\"userId\":\"arr-1\",\"traits\":{\"email\":\"arr1@example.com\"}},"
                + "{\"type\":\"identify\",\"userId\":\"arr-2\",\"traits\":{\"email\":\"arr2@example.com\"}}]")
                .statusCode(200)
                .body("results.status", equalTo(List.of("delivered", "delivered")));
        assertEquals(2, MailmodoRequests.to("/addToList", key).size());
    }

    @Test
    void envelopeContextAndIntegrationsApplyToEveryEventUnlessItHasItsOwn() {
        String key = TestKeys.fresh();
        send(key, """
                {"context":{"timezone":"Asia/Kolkata"},"integrations":{"Mailmodo":false},"batch":[
                  {"type":"identify","userId":"env-1","traits":{"email":"env1@example.com"}},
                  {"type":"identify","userId":"env-2","traits":{"email":"env2@example.com"},
                   "integrations":{"Mailmodo":true},"context":{"timezone":"Europe/Paris"}},
                  {"type":"identify","userId":"env-3","traits":{"email":"env3@example.com"},"integrations":{"Mailmodo":true}}]}""")
                .statusCode(200)
                .body("results.status", equalTo(List.of("skipped", "delivered", "delivered")))
                .body("results[0].reason", equalTo("integration_disabled"));
        List<String> bodies = MailmodoRequests.to("/addToList", key).stream().map(LoggedRequest::getBodyAsString).toList();
        assertEquals(2, bodies.size());
        assertEquals(tree("{\"email\":\"env2@example.com\",\"listName\":\"Segment\",\"data\":{},\"timezone\":\"Europe/Paris\"}"), tree(bodies.get(0)));
        assertEquals(tree("{\"email\":\"env3@example.com\",\"listName\":\"Segment\",\"data\":{},\"timezone\":\"Asia/Kolkata\"}"), tree(bodies.get(1)));
    }

    @Test
    void badEventsAreRejectedOneByOneTheRestDelivered() {
        String key = TestKeys.fresh();
        String big = "x".repeat(33 * 1024);
        JsonPath answer = send(key, "{\"batch\":["
                + "{\"userId\":\"no-type\"},"
                + "7,"
                + "{\"type\":\"identify\",\"userId\":\"big\",\"traits\":{\"email\":\"big@example.com\",\"bio\":\"" + big + "\"}},"
                + "{\"type\":\"page\",\"userId\":\"p\"},"
                + "{\"type\":\"identify\",\"userId\":\"ok-1\",\"messageId\":\"ok-msg\",\"traits\":{\"email\":\"ok1@example.com\"}}]}")
                .statusCode(200)
                .extract().jsonPath();
        assertEquals(List.of("rejected", "rejected", "rejected", "unsupported", "delivered"), answer.getList("results.status"));
        assertEquals(List.of("malformed", "malformed", "too_large", "unsupported_type"), answer.getList("results.reason").subList(0, 4));
        assertEquals(List.of("type is required", "an event must be a JSON object", "event is larger than 32 KiB"),
                answer.getList("results.message").subList(0, 3));
        assertEquals("ok-msg", answer.getString("results[4].messageId"));
        assertEquals(1, all(key).size());
    }

    @Test
    void allRejectedIs400() {
        String key = TestKeys.fresh();
        send(key, "[{\"type\":\"identify\",\"userId\":\"nobody-1\"},{\"type\":\"track\",\"userId\":\"x\"}]")
                .statusCode(400)
                .body("message", equalTo("no event of the batch was accepted: see results"))
                .body("results.reason", equalTo(List.of("no_email", "missing_event")));
        assertEquals(0, all(key).size());
    }

    @Test
    void aRetryableEventMakesTheBatch503() {
        String key = TestKeys.fresh();
        MailmodoStub.server().stubFor(post(urlEqualTo("/addToList")).withHeader("mmApiKey", com.github.tomakehurst.wiremock.client.WireMock.equalTo(key))
                .withRequestBody(containing("flaky@")).atPriority(1)
                .willReturn(aResponse().withStatus(503).withHeader("Retry-After", "9")));
        send(key, "[{\"type\":\"identify\",\"userId\":\"f1\",\"traits\":{\"email\":\"fine@example.com\"}},"
                + "{\"type\":\"identify\",\"userId\":\"f2\",\"traits\":{\"email\":\"flaky@example.com\"}},"
                + "{\"type\":\"identify\",\"userId\":\"f3\"}]")
                .statusCode(503)
                .header("Retry-After", "9")
                .body("message", equalTo("some events were not processed and must be retried: see results"))
                .body("results.status", equalTo(List.of("delivered", "retry", "rejected")));
    }

    @Test
    void eventsWithoutMessageIdGetAStableDerivedOne() {
        String key = TestKeys.fresh();
        String batch = "[{\"type\":\"identify\",\"userId\":\"d1\",\"traits\":{\"email\":\"d1@example.com\"}}]";
        String first = send(key, batch).statusCode(200).body("results[0].messageId", startsWith("derived-"))
                .extract().jsonPath().getString("results[0].messageId");
        String again = send(key, batch).statusCode(200).extract().jsonPath().getString("results[0].messageId");
        assertEquals(first, again);
    }

    @Test
    void batchShapeErrorsAreAnsweredForTheWholeRequest() {
        String key = TestKeys.fresh();
        send(key, "{\"batch\":[]}").statusCode(400).body("message", equalTo("batch is empty"));
        send(key, "[]").statusCode(400).body("message", equalTo("batch is empty"));
        send(key, "{\"batch\":{\"type\":\"identify\"}}").statusCode(400).body("message", equalTo("batch must be an array of events"));
        send(key, "{\"batch\":[{\"type\":\"identify\"}],\"context\":\"x\"}").statusCode(400)
                .body("message", equalTo("batch context must be an object"));
        String tooMany = IntStream.range(0, 2501).mapToObj(i -> "{}").collect(Collectors.joining(",", "[", "]"));
        send(key, tooMany).statusCode(413).body("reason", equalTo("too_large"))
                .body("message", equalTo("batch has more than 2500 events"));
        assertEquals(0, all(key).size());
    }

    @Test
    void aBatchIsWorkedUntilItsBudgetIsSpentAndTheRestIsRetried() {
        String key = TestKeys.fresh();
        MailmodoStub.server().stubFor(post(urlEqualTo("/addToList")).withHeader("mmApiKey", com.github.tomakehurst.wiremock.client.WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(200).withBody("{\"success\":true}").withFixedDelay(900)));
        String batch = IntStream.range(0, 6)
                .mapToObj(i -> "{\"type\":\"identify\",\"userId\":\"slow-" + i + "\",\"traits\":{\"email\":\"slow" + i + "@example.com\"}}")
                .collect(Collectors.joining(",", "[", "]"));
        long start = System.nanoTime();
        JsonPath answer = send(key, batch).statusCode(503).header("Retry-After", "2").extract().jsonPath();
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 4000, "answered after " + millis + " ms");
        List<String> statuses = answer.getList("results.status");
        int delivered = (int) statuses.stream().filter("delivered"::equals).count();
        assertTrue(delivered >= 2 && delivered <= 3, "delivered " + statuses);
        assertEquals(statuses.subList(0, delivered), java.util.Collections.nCopies(delivered, "delivered"));
        assertEquals(java.util.Collections.nCopies(6 - delivered, "deadline"), answer.getList("results.reason").subList(delivered, 6));
        assertEquals(delivered, all(key).size());
    }
}
