package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static destination.mailmodo.e2e.MailmodoRequests.all;
import static destination.mailmodo.e2e.MailmodoRequests.tree;
import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

/** Several identifies of one request share /addToList/batch calls (DESIGN §5; mailmodo.identify.batch=true). */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class ContactBatchEndToEndTest {

    static final String BATCH = "/addToList/batch";

    private static String identify(String user, String email, String traits) {
        return "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"m-" + user + "\",\"traits\":{\"email\":\"" + email + "\""
                + (traits.isEmpty() ? "" : "," + traits) + "}}";
    }

    private static void mailmodoAnswersBatch(String key, int status, String body, int delayMillis) {
        MailmodoStub.server().stubFor(post(urlEqualTo(BATCH)).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body)
                        .withFixedDelay(delayMillis)));
    }

    @Test
    void identifiesOfOneRequestShareOneCallAndAreLearned() {
        String key = TestKeys.fresh();
        send(key, "[" + identify("cb-1", "cb1@example.com", "\"firstName\":\"Ann\"") + "," + identify("cb-2", "cb2@example.com", "")
                + "," + identify("cb-3", "cb3@example.com", "\"plan\":{\"tier\":\"pro\"}") + "]")
                .statusCode(200)
                .body("results.status", equalTo(List.of("delivered", "delivered", "delivered")))
                .body("results.messageId", equalTo(List.of("m-cb-1", "m-cb-2", "m-cb-3")));
        MailmodoRequests.assertSingle(BATCH, key, """
                {"listName":"Segment","values":[
                  {"email":"cb1@example.com","data":{"first_name":"Ann","name":"Ann"}},
                  {"email":"cb2@example.com","data":{}},
                  {"email":"cb3@example.com","data":{"plan_tier":"pro"}}]}""");
        send(key, "{\"type\":\"track\",\"userId\":\"cb-2\",\"event\":\"Opened\"}").statusCode(200);
        assertEquals("cb2@example.com", tree(MailmodoRequests.to("/addEvent", key).get(0).getBodyAsString()).get("email").asText());
    }

    @Test
    void duplicateEmailsAreMergedLaterTraitsWin() {
        String key = TestKeys.fresh();
        send(key, "[" + identify("dm-1", "same@example.com", "\"plan\":\"free\",\"city_of_birth\":\"Pune\"") + ","
                + identify("dm-2", "Same@Example.com", "\"plan\":\"pro\"") + "," + identify("dm-3", "other@example.com", "") + "]")
                .statusCode(200)
                .body("results.status", equalTo(List.of("delivered", "delivered", "delivered")));
        MailmodoRequests.assertSingle(BATCH, key, """
                {"listName":"Segment","values":[
                  {"email":"Same@Example.com","data":{"plan":"pro","city_of_birth":"Pune"}},
                  {"email":"other@example.com","data":{}}]}""");
    }

    @Test
    void multiStatusRefusalsAreDeadLetteredTheRestDelivered() {
        String key = TestKeys.fresh();
        mailmodoAnswersBatch(key, 207, """
                {"message":"Some contacts were not added to the list","listId":"x",
                 "errors":[{"email":"bad@example.com","failure reason":"email is blocked"}]}""", 0);
        JsonPath answer = send(key, "[" + identify("ms-1", "good@example.com", "") + "," + identify("ms-2", "bad@example.com", "") + "]")
                .statusCode(200).extract().jsonPath();
        assertEquals(List.of("delivered", "rejected"), answer.getList("results.status"));
        assertEquals("Mailmodo rejected the contact: email is blocked", answer.getString("results[1].message"));
        JsonPath letters = DeadLettersEndToEndTest.list(key, "");
        assertEquals(List.of("m-ms-2"), letters.getList("deadLetters.messageId"));
        assertEquals("mailmodo_rejected", letters.getString("deadLetters[0].reason"));
        assertEquals(1, letters.getInt("deadLetters[0].attempts"));
        // the refused identify is a kept rejection: its redelivery gets the same answer, the good one is a duplicate
        send(key, identify("ms-2", "bad@example.com", "")).statusCode(400).body("reason", equalTo("mailmodo_rejected"));
        send(key, identify("ms-1", "good@example.com", "")).statusCode(200).body("status", equalTo("duplicate"));
        assertEquals(1, all(key).size());
    }

    @Test
    void aRefusedCallRejectsAndKeepsEveryIdentifyOnIt() {
        String key = TestKeys.fresh();
        mailmodoAnswersBatch(key, 400, "{\"success\":false,\"message\":\"Cannot add users to static segmentation list\"}", 0);
        send(key, "[" + identify("rf-1", "rf1@example.com", "") + "," + identify("rf-2", "rf2@example.com", "") + "]")
                .statusCode(400)
                .body("results.reason", equalTo(List.of("mailmodo_rejected", "mailmodo_rejected")));
        assertEquals(2, DeadLettersEndToEndTest.list(key, "").getList("deadLetters").size());
    }

    @Test
    void aRetryableCallRetriesEveryIdentifyOnIt() {
        String key = TestKeys.fresh();
        mailmodoAnswersBatch(key, 503, "{}", 0);
        send(key, "[" + identify("rt-1", "rt1@example.com", "") + "," + identify("rt-2", "rt2@example.com", "") + "]")
                .statusCode(503)
                .body("results.status", equalTo(List.of("retry", "retry")));
        assertEquals(3, all(key).size(), "one call and two retries");
        assertTrue(DeadLettersEndToEndTest.list(key, "").getList("deadLetters").isEmpty());
    }

    @Test
    void refusedIdentifiesStayOffTheCall() {
        String key = TestKeys.fresh();
        send(key, "[" + identify("of-1", "of1@example.com", "") + ",{\"type\":\"identify\",\"userId\":\"of-2\",\"messageId\":\"m-of-2\"},"
                + identify("of-3", "of3@example.com", "") + "]")
                .statusCode(200)
                .body("results.status", equalTo(List.of("delivered", "rejected", "delivered")))
                .body("results[1].reason", equalTo("no_email"));
        assertEquals(2, tree(MailmodoRequests.to(BATCH, key).get(0).getBodyAsString()).get("values").size());
    }

    @Test
    void aRepeatedMessageIdInOneBatchIsADuplicateNotAConflict() {
        String key = TestKeys.fresh();
        send(key, "[" + identify("rep", "rep@example.com", "") + "," + identify("rep", "rep@example.com", "") + ","
                + identify("rep-other", "repo@example.com", "") + "]")
                .statusCode(200)
                .body("results.status", equalTo(List.of("delivered", "duplicate", "delivered")));
    }

    @Test
    void atMostOneHundredContactsPerCall() {
        String key = TestKeys.fresh();
        String batch = IntStream.range(0, 250).mapToObj(i -> identify("h-" + i, "h" + i + "@example.com", ""))
                .collect(Collectors.joining(",", "[", "]"));
        // like Segment: a batch answered 503 (budget spent on a slow machine) is sent again until it is through
        int status = 0;
        for (int attempt = 0; attempt < 5 && status != 200; attempt++) {
            status = Sender.as(key).body(batch).post(Sender.PATH).statusCode();
        }
        assertEquals(200, status);
        List<LoggedRequest> calls = MailmodoRequests.to(BATCH, key);
        List<Integer> sizes = calls.stream().map(call -> tree(call.getBodyAsString()).get("values").size()).toList();
        assertEquals(100, sizes.get(0));
        assertTrue(sizes.stream().allMatch(size -> size <= 100), "chunks " + sizes);
        assertEquals(250, sizes.stream().mapToInt(Integer::intValue).sum(), "every contact sent once: " + sizes);
    }

    @Test
    void aUsersTrackWaitsForThatUsersGatheredIdentifies() {
        String key = TestKeys.fresh();
        send(key, "[" + identify("ord-1", "ord1@example.com", "") + "," + identify("ord-2", "ord2@example.com", "")
                + ",{\"type\":\"track\",\"userId\":\"ord-1\",\"messageId\":\"t-ord-1\",\"event\":\"Bought\"}]")
                .statusCode(200)
                .body("results.status", equalTo(List.of("delivered", "delivered", "delivered")));
        assertEquals(List.of(BATCH, "/addEvent"), all(key).stream().map(LoggedRequest::getUrl).toList());
    }

    @Test
    void aLoneIdentifyKeepsTheSingleCall() {
        String key = TestKeys.fresh();
        send(key, "[" + identify("lone", "lone@example.com", "") + ",{\"type\":\"track\",\"messageId\":\"t-x\",\"event\":\"E\","
                + "\"properties\":{\"email\":\"x@example.com\"}}]").statusCode(200);
        // another user's track may pass the gathered identify; what matters is the single call
        assertEquals(List.of("/addEvent", "/addToList"), all(key).stream().map(LoggedRequest::getUrl).sorted().toList());
    }

    @Test
    void oneBatchCallAtATimePerKey() throws Exception {
        String key = TestKeys.fresh();
        mailmodoAnswersBatch(key, 200, "{\"message\":\"All contacts were added to the list\"}", 600);
        ExecutorService senders = Executors.newFixedThreadPool(2);
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int s = 0; s < 2; s++) {
                int sender = s;
                // two lists: two gatherings, whose calls the rate limiter still sends one at a time
                String list = java.util.Base64.getEncoder().encodeToString(("{\"listName\":\"L" + sender + "\"}").getBytes());
                answers.add(senders.submit(() -> Sender.as(key).header("X-Segment-Settings", list)
                        .body("[" + identify("ot-" + sender + "a", "ot" + sender + "a@example.com", "")
                        + "," + identify("ot-" + sender + "b", "ot" + sender + "b@example.com", "") + "]").post(Sender.PATH).statusCode()));
            }
            for (Future<Integer> answer : answers) {
                assertEquals(200, answer.get());
            }
        } finally {
            senders.shutdownNow();
        }
        List<Long> arrivals = MailmodoRequests.to(BATCH, key).stream().map(r -> r.getLoggedDate().getTime()).sorted().toList();
        assertEquals(2, arrivals.size());
        assertTrue(arrivals.get(1) - arrivals.get(0) >= 590, "the second call started " + (arrivals.get(1) - arrivals.get(0))
                + " ms after the first, which took 600 ms");
    }
}
