package destination.mailmodo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.StubMapping;
import destination.mailmodo.delivery.DeliveryCounters;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.RestAssured;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Mailmodo stalls — every answer held 5 s, or trickled over 5 s — while 130 requests arrive at once, more than
 * camel-http's default pool of 20 connections: every sender still gets its answer within the request budget
 * (+ 0.5 s), a 503 with Retry-After, from the routes themselves (not the last-resort deadline answer); once
 * Mailmodo answers again, the resends deliver every event, and Mailmodo saw no event more often than the calls
 * counted as ambiguous allow.
 */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class MailmodoStallTest {

    private static final int STALLED_KEYS = 12;
    private static final int TRICKLED_KEYS = 1;
    private static final int EVENTS_PER_KEY = 10; // = mailmodo.rate-limit: every request makes its call at once

    @Inject
    DeliveryCounters counters;

    @ConfigProperty(name = "destination.request-budget")
    Duration budget;

    private final HttpClient http = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8))
            .connectTimeout(Duration.ofSeconds(2)).build();

    private record Event(String key, String messageId, String body) {
    }

    private record Answer(Event event, int status, String retryAfter, String body, long millis) {
    }

    private CompletableFuture<Answer> send(Event event) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + RestAssured.port + Sender.PATH))
                .header("Authorization", Sender.basic(event.key())).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(15)).POST(HttpRequest.BodyPublishers.ofString(event.body())).build();
        long started = System.nanoTime();
        return http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(response -> new Answer(event,
                response.statusCode(), response.headers().firstValue("Retry-After").orElse(null), response.body(),
                (System.nanoTime() - started) / 1_000_000));
    }

    private static List<Answer> all(List<CompletableFuture<Answer>> sent) {
        return sent.stream().map(CompletableFuture::join).toList();
    }

    @Test
    void everyAnswerLeavesWithinTheBudgetAndNothingIsLostOrSentMoreThanCounted() throws Exception {
        String run = Long.toString(System.nanoTime(), 36);
        List<String> keys = new ArrayList<>();
        List<StubMapping> stalls = new ArrayList<>();
        List<Event> events = new ArrayList<>();
        for (int k = 0; k < STALLED_KEYS + TRICKLED_KEYS; k++) {
            String key = TestKeys.fresh();
            keys.add(key);
            var answer = WireMock.aResponse().withStatus(200).withHeader("Content-Type", "application/json")
                    .withBody("{\"success\":true,\"message\":\"the event is added, after a long while\"}");
            // held 5 s; or a byte now and then over 5 s, each well inside the client's 1.2 s wait between packets
            answer = k < STALLED_KEYS ? answer.withFixedDelay(5000) : answer.withChunkedDribbleDelay(20, 5000);
            stalls.add(MailmodoStub.server().stubFor(WireMock.post(WireMock.urlEqualTo("/addEvent"))
                    .withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1).willReturn(answer)));
            for (int e = 0; e < EVENTS_PER_KEY; e++) {
                String messageId = "stall-" + run + "-" + k + "-" + e;
                events.add(new Event(key, messageId, "{\"type\":\"track\",\"messageId\":\"" + messageId + "\",\"event\":\""
                        + messageId + "\",\"properties\":{\"email\":\"stall" + e + "@example.com\"}}"));
            }
        }
        // warm up as a running service is: the same burst once with Mailmodo answering (its own keys and events)
        String warmKey = TestKeys.fresh();
        all(events.stream().map(e -> new Event(warmKey, "warm-" + e.messageId(), e.body().replace(e.messageId(), "warm-" + e.messageId())))
                .map(this::send).toList());
        double ambiguousBefore = counters.ambiguousCount();

        List<Answer> stalled = all(events.stream().map(this::send).toList());

        long slowest = stalled.stream().mapToLong(Answer::millis).max().orElseThrow();
        Map<String, Long> reasons = new LinkedHashMap<>();
        stalled.forEach(a -> reasons.merge(reason(a.body()), 1L, Long::sum));
        System.out.printf("Mailmodo stalled: %d requests at once, slowest answer %d ms (budget %d ms), reasons %s%n",
                stalled.size(), slowest, budget.toMillis(), reasons);
        assertTrue(slowest <= budget.toMillis() + 500, "slowest answer " + slowest + " ms");
        for (Answer answer : stalled) {
            assertEquals(503, answer.status(), answer.body());
            assertEquals("2", answer.retryAfter(), answer.body());
            assertTrue(answer.body().contains("\"status\":\"retry\""), answer.body());
            assertNotEquals(-1, answer.body().indexOf("\"reason\""), answer.body());
            assertTrue(!answer.body().contains("not answered within this request's time budget"),
                    "answered by the routes, not by the last-resort deadline: " + answer.body());
        }

        // Mailmodo answers again: Segment resends what was not accepted until every event is
        stalls.forEach(MailmodoStub.server()::removeStub);
        List<Event> left = events;
        for (int round = 0; round < 10 && !left.isEmpty(); round++) {
            Thread.sleep(round == 0 ? 1200 : 600); // the stalled calls' rate-limit permits come back
            List<Answer> answers = all(left.stream().map(this::send).toList());
            for (Answer answer : answers) {
                assertTrue(answer.status() == 200 || answer.status() == 503, answer.body());
            }
            left = answers.stream().filter(a -> a.status() != 200).map(Answer::event).toList();
        }
        assertEquals(List.of(), left.stream().map(Event::messageId).toList(), "events never delivered");

        // every event reached Mailmodo at least once; more only for calls counted as ambiguous (sent, never answered)
        long ambiguous = Math.round(counters.ambiguousCount() - ambiguousBefore);
        int calls = 0;
        for (Event event : events) {
            int forEvent = (int) MailmodoRequests.to("/addEvent", event.key()).stream()
                    .filter(call -> call.getBodyAsString().contains("\"" + event.messageId() + "\"")).count();
            assertTrue(forEvent >= 1, event.messageId() + " never reached Mailmodo");
            calls += forEvent;
        }
        System.out.printf("after the stall: %d events delivered, %d Mailmodo calls, %d counted ambiguous%n", events.size(), calls, ambiguous);
        assertEquals(events.size() + ambiguous, calls, "calls beyond one per event are exactly the ambiguous ones");
    }

    private static String reason(String body) {
        int at = body.indexOf("\"reason\":\"");
        return at < 0 ? "-" : body.substring(at + 10, body.indexOf('"', at + 10));
    }
}
