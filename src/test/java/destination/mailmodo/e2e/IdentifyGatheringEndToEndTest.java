package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static destination.mailmodo.e2e.MailmodoRequests.tree;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.ExtractableResponse;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

/**
 * Concurrent single-event identifies of one tenant share /addToList/batch calls (group commit within
 * mailmodo.identify.linger), each request answered with its own outcome.
 */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class IdentifyGatheringEndToEndTest {

    @jakarta.inject.Inject
    destination.mailmodo.segment.IdentifyGatherings gatherings;

    private static String identify(String user) {
        return "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"messageId\":\"m-" + user + "\",\"traits\":{\"email\":\"" + user
                + "@example.com\",\"plan\":\"pro\"}}";
    }

    private static void mailmodoTakes(String key, String path, int delayMillis, int status, String body) {
        MailmodoStub.server().stubFor(post(urlEqualTo(path)).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json").withBody(body)
                        .withFixedDelay(delayMillis)));
    }

    /** Sends each body as its own request, all at once; the answers in the same order. */
    private static List<ExtractableResponse<Response>> sendAtOnce(String key, List<String> bodies) throws Exception {
        ExecutorService senders = Executors.newFixedThreadPool(bodies.size());
        try {
            List<Future<ExtractableResponse<Response>>> answers = new ArrayList<>();
            for (String body : bodies) {
                answers.add(senders.submit(() -> Sender.send(key, body).extract()));
            }
            List<ExtractableResponse<Response>> done = new ArrayList<>();
            for (Future<ExtractableResponse<Response>> answer : answers) {
                done.add(answer.get());
            }
            return done;
        } finally {
            senders.shutdownNow();
        }
    }

    /** Every contact Mailmodo received for this key, by email, over single and batch calls. */
    private static List<String> contactsReceived(String key) {
        List<String> emails = new ArrayList<>();
        for (LoggedRequest call : MailmodoRequests.to("/addToList", key)) {
            emails.add(tree(call.getBodyAsString()).get("email").asText());
        }
        for (LoggedRequest call : MailmodoRequests.to("/addToList/batch", key)) {
            JsonNode values = tree(call.getBodyAsString()).get("values");
            assertTrue(values.size() >= 2 && values.size() <= 100, "a batch call carries 2 to 100 contacts: " + values.size());
            values.forEach(value -> {
                emails.add(value.get("email").asText());
                assertEquals("pro", value.get("data").get("plan").asText());
            });
        }
        return emails;
    }

    @Test
    void concurrentIdentifiesShareCallsAndEachGetsItsOwnAnswer() throws Exception {
        String key = TestKeys.fresh();
        // each call takes 120 ms (less than the linger): while one is under way, the others gather for the next
        mailmodoTakes(key, "/addToList", 120, 200, "{\"success\":true}");
        mailmodoTakes(key, "/addToList/batch", 120, 200, "{\"success\":true}");
        List<String> users = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            users.add("g-" + i);
        }
        List<ExtractableResponse<Response>> answers = sendAtOnce(key, users.stream().map(IdentifyGatheringEndToEndTest::identify).toList());

        for (int i = 0; i < users.size(); i++) {
            assertEquals(200, answers.get(i).statusCode(), answers.get(i).asString());
            assertEquals("delivered", answers.get(i).path("status"));
            assertEquals("m-" + users.get(i), answers.get(i).path("messageId"));
        }
        List<String> emails = contactsReceived(key);
        assertEquals(20, emails.size(), "each contact sent exactly once: " + emails);
        assertEquals(new TreeSet<>(users.stream().map(u -> u + "@example.com").toList()), new TreeSet<>(emails));
        int calls = MailmodoRequests.all(key).size();
        assertTrue(calls <= 5, "20 identifies at once took " + calls + " Mailmodo calls");
        assertTrue(!MailmodoRequests.to("/addToList/batch", key).isEmpty(), "some went together");

        // each was learned: a track of the last one finds its email
        Sender.send(key, "{\"type\":\"track\",\"userId\":\"g-19\",\"event\":\"Opened\"}").statusCode(200);
        assertEquals("g-19@example.com", tree(MailmodoRequests.to("/addEvent", key).get(0).getBodyAsString()).get("email").asText());

        // nothing under way, waiting or held: the tenant's gathering is forgotten (state does not grow with tenants)
        assertEquals(0, gatherings.groupsTracked(), "idle gatherings are not kept");

        // a redelivery of one of them is a duplicate, not a new call
        Sender.send(key, identify("g-7")).statusCode(200).body("status", org.hamcrest.Matchers.equalTo("duplicate"));
        assertEquals(calls, MailmodoRequests.all(key).size() - 1, "only the track was added");
    }

    @Test
    void aContactRefusedInTheSharedCallIsRejectedAloneTheOthersDelivered() throws Exception {
        String key = TestKeys.fresh();
        mailmodoTakes(key, "/addToList", 150, 200, "{\"success\":true}");
        mailmodoTakes(key, "/addToList/batch", 150, 207, """
                {"message":"Some contacts were not added","errors":[{"email":"r-3@example.com","failure reason":"invalid domain"}]}""");
        // should r-3 be the one that leads alone, Mailmodo refuses it there too
        MailmodoStub.server().stubFor(post(urlEqualTo("/addToList")).withHeader("mmApiKey", WireMock.equalTo(key))
                .withRequestBody(WireMock.containing("r-3@")).atPriority(0)
                .willReturn(aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"invalid domain\"}")));
        List<String> users = List.of("r-0", "r-1", "r-2", "r-3", "r-4", "r-5", "r-6", "r-7");
        List<ExtractableResponse<Response>> answers = sendAtOnce(key, users.stream().map(IdentifyGatheringEndToEndTest::identify).toList());

        List<LoggedRequest> batchCalls = MailmodoRequests.to("/addToList/batch", key);
        assertTrue(!batchCalls.isEmpty(), "eight identifies at once shared a call");
        boolean refusedInBatch = batchCalls.stream().anyMatch(call -> call.getBodyAsString().contains("r-3@example.com"));
        for (int i = 0; i < users.size(); i++) {
            if (users.get(i).equals("r-3")) {
                assertEquals(400, answers.get(i).statusCode(), answers.get(i).asString());
                assertEquals("mailmodo_rejected", answers.get(i).path("reason"));
                assertEquals(refusedInBatch ? "Mailmodo rejected the contact: invalid domain" : "Mailmodo rejected the event: invalid domain",
                        answers.get(i).path("message"));
            } else {
                assertEquals(200, answers.get(i).statusCode(), answers.get(i).asString());
                assertEquals("delivered", answers.get(i).path("status"));
            }
        }
        assertEquals(8, contactsReceived(key).size(), "each contact sent once");
        // the refused one is a dead letter, as any Mailmodo rejection
        io.restassured.RestAssured.given().auth().preemptive().basic(key, "").get("/destinations/mailmodo/dead-letters").then()
                .statusCode(200).body("deadLetters.messageId", org.hamcrest.Matchers.equalTo(List.of("m-r-3")));
    }

    @Test
    void tenantsNeverShareACall() throws Exception {
        String first = TestKeys.fresh();
        String second = TestKeys.fresh();
        mailmodoTakes(first, "/addToList", 100, 200, "{\"success\":true}");
        mailmodoTakes(second, "/addToList", 100, 200, "{\"success\":true}");
        ExecutorService both = Executors.newFixedThreadPool(2);
        try {
            Future<List<ExtractableResponse<Response>>> a = both.submit(() -> sendAtOnce(first, List.of(identify("t1-a"), identify("t1-b"), identify("t1-c"))));
            Future<List<ExtractableResponse<Response>>> b = both.submit(() -> sendAtOnce(second, List.of(identify("t2-a"), identify("t2-b"), identify("t2-c"))));
            a.get().forEach(answer -> assertEquals(200, answer.statusCode()));
            b.get().forEach(answer -> assertEquals(200, answer.statusCode()));
        } finally {
            both.shutdownNow();
        }
        assertEquals(new TreeSet<>(List.of("t1-a@example.com", "t1-b@example.com", "t1-c@example.com")), new TreeSet<>(contactsReceived(first)));
        assertEquals(new TreeSet<>(List.of("t2-a@example.com", "t2-b@example.com", "t2-c@example.com")), new TreeSet<>(contactsReceived(second)));
    }

    @Test
    void anIdentifyBehindASlowCallWaitsForTheNextCall() throws Exception {
        String key = TestKeys.fresh();
        mailmodoTakes(key, "/addToList", 700, 200, "{\"success\":true}");
        ExecutorService leader = Executors.newSingleThreadExecutor();
        try {
            Future<ExtractableResponse<Response>> first = leader.submit(() -> Sender.send(key, identify("s-0")).extract());
            Thread.sleep(100);
            long started = System.nanoTime();
            ExtractableResponse<Response> second = Sender.send(key, identify("s-1")).extract();
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(200, second.statusCode(), second.asString());
            assertEquals("delivered", second.path("status"));
            assertEquals(200, first.get().statusCode());
            // behind the first call (600 ms left), then its own (700 ms): one call under way at a time
            assertTrue(tookMillis >= 1200, "the second identify took " + tookMillis + " ms");
        } finally {
            leader.shutdownNow();
        }
        assertEquals(2, MailmodoRequests.to("/addToList", key).size(), "an identify alone keeps its own /addToList call");
    }

    @Test
    void aSharedCallMailmodoAnswers503ToIsRetriedAndEachContactDeliveredOnce() throws Exception {
        String key = TestKeys.fresh();
        mailmodoTakes(key, "/addToList", 150, 200, "{\"success\":true}");
        // the first shared call is refused as busy; every later one is taken
        MailmodoStub.server().stubFor(post(urlEqualTo("/addToList/batch")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .inScenario("busy-" + key).whenScenarioStateIs(com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED)
                .willSetStateTo("taken").willReturn(aResponse().withStatus(503).withBody("{\"success\":false}")));
        MailmodoStub.server().stubFor(post(urlEqualTo("/addToList/batch")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .inScenario("busy-" + key).whenScenarioStateIs("taken")
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", "application/json").withBody("{\"success\":true}")));
        List<String> users = List.of("b-0", "b-1", "b-2", "b-3", "b-4", "b-5");
        List<ExtractableResponse<Response>> answers = sendAtOnce(key, users.stream().map(IdentifyGatheringEndToEndTest::identify).toList());

        for (int i = 0; i < users.size(); i++) {
            assertEquals(200, answers.get(i).statusCode(), answers.get(i).asString());
            assertEquals("delivered", answers.get(i).path("status"));
        }
        List<LoggedRequest> batchCalls = MailmodoRequests.to("/addToList/batch", key);
        assertTrue(batchCalls.size() >= 2, "the refused shared call was retried: " + batchCalls.size());
        // what Mailmodo took: every contact exactly once (the refused call took none)
        List<String> taken = new ArrayList<>();
        MailmodoRequests.to("/addToList", key).forEach(call -> taken.add(tree(call.getBodyAsString()).get("email").asText()));
        batchCalls.subList(1, batchCalls.size()).forEach(call -> tree(call.getBodyAsString()).get("values")
                .forEach(value -> taken.add(value.get("email").asText())));
        assertEquals(new TreeSet<>(users.stream().map(u -> u + "@example.com").toList()), new TreeSet<>(taken));
        assertEquals(users.size(), taken.size(), "each contact taken once: " + taken);
    }

    @Test
    void aSharedCallMailmodoRefusesFailsEachIdentifyAsItsOwnDeadLetter() throws Exception {
        String key = TestKeys.fresh();
        mailmodoTakes(key, "/addToList", 150, 200, "{\"success\":true}");
        mailmodoTakes(key, "/addToList/batch", 0, 422, "{\"success\":false,\"message\":\"listName is invalid\"}");
        List<String> users = List.of("p-0", "p-1", "p-2", "p-3", "p-4");
        List<ExtractableResponse<Response>> answers = sendAtOnce(key, users.stream().map(IdentifyGatheringEndToEndTest::identify).toList());

        List<String> inBatch = new ArrayList<>();
        MailmodoRequests.to("/addToList/batch", key).forEach(call -> tree(call.getBodyAsString()).get("values")
                .forEach(value -> inBatch.add(value.get("email").asText().replace("@example.com", ""))));
        assertTrue(!inBatch.isEmpty(), "some shared a call");
        for (int i = 0; i < users.size(); i++) {
            if (inBatch.contains(users.get(i))) {
                assertEquals(400, answers.get(i).statusCode(), answers.get(i).asString());
                assertEquals("mailmodo_rejected", answers.get(i).path("reason"));
                assertEquals("Mailmodo rejected the event: listName is invalid", answers.get(i).path("message"));
            } else {
                assertEquals(200, answers.get(i).statusCode(), answers.get(i).asString());
            }
        }
        assertEquals(inBatch.size(), new TreeSet<>(inBatch).size(), "a refused call is not retried");
        // each refused identify is its own dead letter, with its own messageId
        List<String> expected = inBatch.stream().map(user -> "m-" + user).sorted().toList();
        List<String> kept = io.restassured.RestAssured.given().auth().preemptive().basic(key, "").get("/destinations/mailmodo/dead-letters")
                .then().statusCode(200).extract().jsonPath().getList("deadLetters.messageId", String.class);
        assertEquals(expected, kept.stream().sorted().toList());
    }
}
