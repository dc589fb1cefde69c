package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import destination.mailmodo.delivery.DeliveryCounters;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;

/** In-request retries (DESIGN §3): Camel redelivery inside the 3.5 s budget, Mailmodo's Retry-After honoured. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
class RetriesEndToEndTest {

    @Inject
    DeliveryCounters counters;

    private static String identify(String user) {
        return "{\"type\":\"identify\",\"userId\":\"" + user + "\",\"traits\":{\"email\":\"" + user + "@example.com\"}}";
    }

    /** Mailmodo answers the given responses in turn, then the default success. */
    private static void mailmodoAnswersInTurn(String key, ResponseDefinitionBuilder... answers) {
        String state = STARTED;
        for (int i = 0; i < answers.length; i++) {
            String next = "answer-" + (i + 1);
            MailmodoStub.server().stubFor(post(urlEqualTo("/addToList")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                    .inScenario("turns-" + key).whenScenarioStateIs(state).willSetStateTo(next).willReturn(answers[i]));
            state = next;
        }
    }

    private static long[] gapsMillis(List<LoggedRequest> calls) {
        long[] gaps = new long[calls.size() - 1];
        for (int i = 1; i < calls.size(); i++) {
            gaps[i - 1] = calls.get(i).getLoggedDate().getTime() - calls.get(i - 1).getLoggedDate().getTime();
        }
        return gaps;
    }

    @Test
    void serverErrorThenSuccessIsDeliveredWithTwoAttempts() {
        String key = TestKeys.fresh();
        mailmodoAnswersInTurn(key, aResponse().withStatus(500));
        send(key, identify("r-500")).statusCode(200).body("status", equalTo("delivered"));
        List<LoggedRequest> calls = MailmodoRequests.all(key);
        assertEquals(2, calls.size());
        assertEquals(calls.get(0).getBodyAsString(), calls.get(1).getBodyAsString(), "the retry sends the same request");
        assertTrue(gapsMillis(calls)[0] >= 240, "first backoff " + gapsMillis(calls)[0] + " ms");
    }

    @Test
    void retryAfterOfMailmodoIsHonoured() {
        String key = TestKeys.fresh();
        mailmodoAnswersInTurn(key, aResponse().withStatus(429).withHeader("Retry-After", "1"));
        send(key, identify("r-429")).statusCode(200).body("status", equalTo("delivered"));
        List<LoggedRequest> calls = MailmodoRequests.all(key);
        assertEquals(2, calls.size());
        assertTrue(gapsMillis(calls)[0] >= 990, "waited " + gapsMillis(calls)[0] + " ms for Retry-After: 1");
    }

    @Test
    void persistentUnavailabilityIs503InsideTheDeadline() {
        String key = TestKeys.fresh();
        mailmodoAnswersInTurn(key, aResponse().withStatus(503), aResponse().withStatus(503), aResponse().withStatus(503),
                aResponse().withStatus(503));
        long start = System.nanoTime();
        send(key, identify("r-503")).statusCode(503).header("Retry-After", "2").body("reason", equalTo("mailmodo_unavailable"));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(millis < 4000, "answered after " + millis + " ms");
        List<LoggedRequest> calls = MailmodoRequests.all(key);
        assertEquals(3, calls.size(), "one attempt and two retries");
        long[] gaps = gapsMillis(calls);
        assertTrue(gaps[0] >= 240 && gaps[1] >= 990, "backoff " + gaps[0] + " ms then " + gaps[1] + " ms");
    }

    @Test
    void aRetryAfterBeyondTheBudgetIsPassedToTheSenderAtOnce() {
        String key = TestKeys.fresh();
        mailmodoAnswersInTurn(key, aResponse().withStatus(429).withHeader("Retry-After", "30"));
        long start = System.nanoTime();
        send(key, identify("r-later")).statusCode(503).header("Retry-After", "30").body("reason", equalTo("rate_limited"));
        assertTrue((System.nanoTime() - start) / 1_000_000 < 1000);
        assertEquals(1, MailmodoRequests.all(key).size());
    }

    @Test
    void timeoutsAreRetriedAndCountedAsAmbiguous() {
        String key = TestKeys.fresh();
        double before = counters.ambiguousCount();
        mailmodoAnswersInTurn(key, aResponse().withStatus(200).withBody("{\"success\":true}").withFixedDelay(1500));
        send(key, identify("r-timeout")).statusCode(200).body("status", equalTo("delivered"));
        assertEquals(2, MailmodoRequests.all(key).size());
        assertEquals(before + 1, counters.ambiguousCount(), "the timed-out call may have reached Mailmodo");
    }

    @Test
    void permanentRejectionIsNeverRetried() {
        String key = TestKeys.fresh();
        mailmodoAnswersInTurn(key, aResponse().withStatus(400).withBody("{\"message\":\"bad\"}"));
        send(key, identify("r-400")).statusCode(400);
        assertEquals(1, MailmodoRequests.all(key).size());
    }
}
