package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static destination.mailmodo.e2e.MailmodoRequests.tree;
import static destination.mailmodo.e2e.Sender.send;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasSize;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

/** Every permanent failure is kept, listed, replayed and deleted per tenant (DESIGN §8). */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class DeadLettersEndToEndTest {

    static final String DEAD_LETTERS = Sender.PATH + "/dead-letters";

    static JsonPath list(String key, String query) {
        return Sender.as(key).get(DEAD_LETTERS + query).then().statusCode(200).contentType("application/json").extract().jsonPath();
    }

    static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 100 && !condition.getAsBoolean(); i++) {
            Thread.sleep(100);
        }
        assertTrue(condition.getAsBoolean(), what);
    }

    static StubMapping mailmodoRejects(String key, String path) {
        return MailmodoStub.server().stubFor(post(urlEqualTo(path)).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"listName does not exist\"}")));
    }

    @Test
    void mailmodoRejectionIsKeptWithItsReasonAndTheEventAsSent() {
        String key = TestKeys.fresh();
        mailmodoRejects(key, "/addToList");
        String event = "{\"type\":\"identify\",\"userId\":\"dl-1\",\"messageId\":\"dl-msg-1\",\"traits\":{\"email\":\"dl1@example.com\",\"plan\":\"pro\"}}";
        send(key, event).statusCode(400).body("reason", equalTo("mailmodo_rejected"));

        JsonPath letters = list(key, "");
        assertEquals(1, letters.getList("deadLetters").size());
        assertEquals("dl-msg-1", letters.getString("deadLetters[0].messageId"));
        assertEquals("identify", letters.getString("deadLetters[0].type"));
        assertEquals("mailmodo_rejected", letters.getString("deadLetters[0].reason"));
        assertEquals("Mailmodo rejected the event: listName does not exist", letters.getString("deadLetters[0].message"));
        assertEquals(1, letters.getInt("deadLetters[0].attempts"));
        assertTrue(Instant.parse(letters.getString("deadLetters[0].failedAt")).isAfter(Instant.now().minusSeconds(60)));
        assertEquals(tree(event), tree(MailmodoRequests.JSON_WRITER.apply(letters.get("deadLetters[0].event"))));
        assertNull(letters.get("next"));
    }

    @Test
    void validationFailuresAndUnknownUsersAreKeptNotRetryablesNorSkips() {
        String key = TestKeys.fresh();
        send(key, "{\"type\":\"identify\",\"userId\":\"dl-noemail\",\"messageId\":\"v1\"}").statusCode(400);
        send(key, "not json {").statusCode(400);
        send(key, "{\"type\":\"track\",\"userId\":\"dl-ghost\",\"messageId\":\"v3\",\"event\":\"E\",\"timestamp\":\""
                + Instant.now().minus(1, ChronoUnit.DAYS) + "\"}").statusCode(400);
        send(key, "[{\"type\":\"track\",\"messageId\":\"v4\",\"properties\":{}},{\"type\":\"identify\",\"userId\":\"fine\",\"traits\":{\"email\":\"fine@example.com\"}}]")
                .statusCode(200);
        // not kept: a retry (unknown user within the grace window), a skip, an unsupported call
        send(key, "{\"type\":\"track\",\"userId\":\"dl-young\",\"event\":\"E\",\"timestamp\":\"" + Instant.now() + "\"}").statusCode(503);
        send(key, "{\"type\":\"identify\",\"integrations\":{\"Mailmodo\":false},\"traits\":{\"email\":\"s@example.com\"}}").statusCode(200);
        send(key, "{\"type\":\"page\"}").statusCode(501);

        JsonPath letters = list(key, "");
        assertEquals(List.of("missing_event", "unknown_user", "malformed", "no_email"), letters.getList("deadLetters.reason"));
        assertEquals("not json {", letters.getString("deadLetters[2].event"), "a body that was not JSON is kept raw");
        assertEquals(List.of(0, 0, 0, 0), letters.getList("deadLetters.attempts"));
    }

    @Test
    void pagesAreNewestFirstWithACursor() {
        String key = TestKeys.fresh();
        for (int i = 0; i < 5; i++) {
            send(key, "{\"type\":\"identify\",\"userId\":\"page-" + i + "\",\"messageId\":\"p" + i + "\"}").statusCode(400);
        }
        JsonPath first = list(key, "?limit=2");
        assertEquals(List.of("p4", "p3"), first.getList("deadLetters.messageId"));
        JsonPath second = list(key, "?limit=2&before=" + first.getString("next"));
        assertEquals(List.of("p2", "p1"), second.getList("deadLetters.messageId"));
        JsonPath last = list(key, "?limit=2&before=" + second.getString("next"));
        assertEquals(List.of("p0"), last.getList("deadLetters.messageId"));
        assertNull(last.get("next"));
        Sender.as(key).get(DEAD_LETTERS + "?limit=0").then().statusCode(400).body("message", equalTo("limit must be a number from 1 to 500"));
        Sender.as(key).get(DEAD_LETTERS + "?before=zzz").then().statusCode(400);
    }

    @Test
    void replayAfterTheFixDeliversAndLeavesTheStore() throws Exception {
        String key = TestKeys.fresh();
        StubMapping rejection = mailmodoRejects(key, "/addToList");
        send(key, "{\"type\":\"identify\",\"userId\":\"fix-1\",\"messageId\":\"fix-msg\",\"traits\":{\"email\":\"fix1@example.com\"}}",
                Map.of("X-Segment-Settings", java.util.Base64.getEncoder().encodeToString("{\"listName\":\"VIP\"}".getBytes())))
                .statusCode(400);
        assertEquals(1, list(key, "").getList("deadLetters").size());

        MailmodoStub.server().removeStub(rejection); // the operator fixed the cause
        Sender.as(key).body("{}").post(DEAD_LETTERS + "/replay").then().statusCode(202).body("replaying", equalTo(1));
        eventually(() -> list(key, "").getList("deadLetters").isEmpty(), "the delivered replay leaves the store");
        var calls = MailmodoRequests.to("/addToList", key);
        assertEquals(2, calls.size());
        assertEquals(tree("{\"email\":\"fix1@example.com\",\"listName\":\"VIP\",\"data\":{}}"), tree(calls.get(1).getBodyAsString()));
        // the key is now delivered: Segment's redelivery of the same message is a duplicate
        send(key, "{\"type\":\"identify\",\"userId\":\"fix-1\",\"messageId\":\"fix-msg\",\"traits\":{\"email\":\"fix1@example.com\"}}")
                .statusCode(200).body("status", equalTo("duplicate"));
        assertEquals(2, MailmodoRequests.to("/addToList", key).size());
    }

    @Test
    void replayOfChosenIdsOnlyAndAFailingReplayStaysOnce() throws Exception {
        String key = TestKeys.fresh();
        mailmodoRejects(key, "/addEvent");
        send(key, "{\"type\":\"track\",\"messageId\":\"keep-a\",\"event\":\"A\",\"properties\":{\"email\":\"a@example.com\"}}").statusCode(400);
        send(key, "{\"type\":\"track\",\"messageId\":\"keep-b\",\"event\":\"B\",\"properties\":{\"email\":\"b@example.com\"}}").statusCode(400);
        String idOfA = list(key, "").getString("deadLetters.find { it.messageId == 'keep-a' }.id");

        Sender.as(key).body("{\"ids\":[\"" + idOfA + "\",\"not-an-id\"]}").post(DEAD_LETTERS + "/replay").then()
                .statusCode(202).body("replaying", equalTo(1));
        eventually(() -> list(key, "").getInt("deadLetters.find { it.messageId == 'keep-a' }.attempts") == 2,
                "the replay was attempted and failed again");
        JsonPath letters = list(key, "");
        assertEquals(2, letters.getList("deadLetters").size(), "still one dead letter per event");
        assertEquals("keep-a", letters.getString("deadLetters[0].messageId"), "the failed replay is the newest failure");
        assertEquals(3, MailmodoRequests.to("/addEvent", key).size());
    }

    @Test
    void concurrentReplaysDeliverOnce() throws Exception {
        String key = TestKeys.fresh();
        StubMapping rejection = mailmodoRejects(key, "/addEvent");
        send(key, "{\"type\":\"track\",\"messageId\":\"rp-1\",\"event\":\"E\",\"properties\":{\"email\":\"rp@example.com\"}}").statusCode(400);
        MailmodoStub.server().removeStub(rejection);
        MailmodoStub.server().stubFor(post(urlEqualTo("/addEvent")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(200).withBody("{\"success\":true}").withFixedDelay(400)));
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var first = pool.submit(() -> Sender.as(key).body("{}").post(DEAD_LETTERS + "/replay").statusCode());
            var second = pool.submit(() -> Sender.as(key).body("{}").post(DEAD_LETTERS + "/replay").statusCode());
            assertEquals(202, first.get());
            assertEquals(202, second.get());
        } finally {
            pool.shutdownNow();
        }
        eventually(() -> list(key, "").getList("deadLetters").isEmpty(), "the replay delivered");
        Thread.sleep(600); // let a second replay, if any, reach Mailmodo
        assertEquals(2, MailmodoRequests.to("/addEvent", key).size(), "the rejected call, then one delivery");
    }

    @Test
    void anOversizedEventOfABatchIsKept() {
        String key = TestKeys.fresh();
        String big = "z".repeat(34 * 1024);
        send(key, "[{\"type\":\"identify\",\"messageId\":\"big-1\",\"traits\":{\"email\":\"big@example.com\",\"bio\":\"" + big + "\"}},"
                + "{\"type\":\"track\",\"messageId\":\"small-1\",\"event\":\"E\",\"properties\":{\"email\":\"s@example.com\"}}]")
                .statusCode(200).body("results.reason[0]", equalTo("too_large"));
        JsonPath letters = list(key, "");
        assertEquals(List.of("big-1"), letters.getList("deadLetters.messageId"));
        assertEquals("too_large", letters.getString("deadLetters[0].reason"));
    }

    @Test
    void replayBodyIsOnlyEmptyOrIds() {
        Sender.as(TestKeys.fresh()).body("{\"id\":[\"x\"]}").post(DEAD_LETTERS + "/replay").then().statusCode(400)
                .body("message", equalTo("replay body must be {} or {\"ids\":[...]}"));
    }

    @Test
    void deleteRemovesOneAndOnlyTheTenantsOwn() {
        String owner = TestKeys.fresh();
        String other = TestKeys.fresh();
        send(owner, "{\"type\":\"identify\",\"userId\":\"del\",\"messageId\":\"del-1\"}").statusCode(400);
        String id = list(owner, "").getString("deadLetters[0].id");

        list(other, "").getList("deadLetters").forEach(l -> { throw new AssertionError("another tenant sees " + l); });
        Sender.as(other).delete(DEAD_LETTERS + "/" + id).then().statusCode(404).body("reason", equalTo("not_found"));
        Sender.as(other).body("{\"ids\":[\"" + id + "\"]}").post(DEAD_LETTERS + "/replay").then().statusCode(202)
                .body("replaying", equalTo(0));
        Sender.as(other).body("{}").post(DEAD_LETTERS + "/replay").then().statusCode(202).body("replaying", equalTo(0));

        Sender.as(owner).delete(DEAD_LETTERS + "/" + id).then().statusCode(204);
        given().header("Authorization", Sender.basic(owner)).get(DEAD_LETTERS).then().statusCode(200).body("deadLetters", hasSize(0));
        Sender.as(owner).delete(DEAD_LETTERS + "/" + id).then().statusCode(404);
    }

    @Test
    void theApiWantsTheSameCredentialAndNoCredentialInTheQuery() {
        given().get(DEAD_LETTERS).then().statusCode(401).body("reason", equalTo("unauthorized"));
        given().queryParam("Authorization", Sender.basic(TestKeys.fresh())).get(DEAD_LETTERS).then().statusCode(400)
                .body("message", equalTo("unknown query parameter: only limit and before are accepted"));
        given().post(DEAD_LETTERS + "/replay").then().statusCode(401);
        given().delete(DEAD_LETTERS + "/x").then().statusCode(401);
        Sender.as(TestKeys.fresh()).body("[1]").post(DEAD_LETTERS + "/replay").then().statusCode(400)
                .body("message", equalTo("replay body must be {} or {\"ids\":[...]}"));
    }
}
