package destination.mailmodo.e2e;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.response.Response;
import org.junit.jupiter.api.Test;

/** The per-key rate limit (DESIGN §6) and the in-flight cap (DESIGN §3), with small limits. */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
@TestProfile(LimitsEndToEndTest.SmallLimits.class)
class LimitsEndToEndTest {

    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("mailmodo.rate-limit", "5", "destination.max-in-flight", "3");
        }
    }

    private static String track(int i) {
        return "{\"type\":\"track\",\"messageId\":\"rl-" + i + "\",\"event\":\"Tick\",\"properties\":{\"email\":\"rl" + i + "@example.com\"}}";
    }

    @Test
    void twentyEventsNeverPutMoreThanFiveCallsInAnySlidingSecond() throws Exception {
        String key = TestKeys.fresh();
        ExecutorService senders = Executors.newFixedThreadPool(3);
        try {
            List<Future<Integer>> work = new ArrayList<>();
            for (int s = 0; s < 3; s++) {
                int first = s;
                work.add(senders.submit(() -> {
                    int refusals = 0;
                    // like Segment: every 503 is sent again until it is delivered
                    for (int i = first; i < 20; i += 3) {
                        while (true) {
                            Response answer = Sender.as(key).body(track(i)).post(Sender.PATH);
                            if (answer.statusCode() == 200) {
                                break;
                            }
                            assertEquals(503, answer.statusCode());
                            assertEquals("rate_limited", answer.jsonPath().getString("reason"));
                            refusals++;
                        }
                    }
                    return refusals;
                }));
            }
            for (Future<Integer> sender : work) {
                sender.get();
            }
        } finally {
            senders.shutdownNow();
        }
        List<Long> arrivals = MailmodoRequests.all(key).stream().map(r -> r.getLoggedDate().getTime()).sorted().toList();
        assertEquals(20, arrivals.size(), "each event delivered exactly once");
        for (int i = 5; i < arrivals.size(); i++) {
            long window = arrivals.get(i) - arrivals.get(i - 5);
            assertTrue(window >= 1000, "calls " + (i - 5) + " and " + i + " are " + window + " ms apart: six calls in one second");
        }
    }

    @Test
    void requestsBeyondTheInFlightCapAreRefusedAtOnce() throws Exception {
        String key = TestKeys.fresh();
        MailmodoStub.server().stubFor(post(urlEqualTo("/addEvent")).withHeader("mmApiKey", WireMock.equalTo(key)).atPriority(1)
                .willReturn(aResponse().withStatus(200).withBody("{\"success\":true}").withFixedDelay(1000)));
        ExecutorService senders = Executors.newFixedThreadPool(6);
        try {
            List<Future<long[]>> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                int n = 100 + i;
                answers.add(senders.submit(() -> {
                    long start = System.nanoTime();
                    Response answer = Sender.as(key).body(track(n)).post(Sender.PATH);
                    long millis = (System.nanoTime() - start) / 1_000_000;
                    if (answer.statusCode() == 503) {
                        assertEquals("too_busy", answer.jsonPath().getString("reason"));
                        assertEquals("2", answer.header("Retry-After"));
                    }
                    return new long[] {answer.statusCode(), millis};
                }));
            }
            int delivered = 0;
            int refused = 0;
            for (Future<long[]> answer : answers) {
                long[] result = answer.get();
                if (result[0] == 200) {
                    delivered++;
                } else {
                    assertEquals(503, result[0]);
                    assertTrue(result[1] < 900, "a refusal must not wait: " + result[1] + " ms");
                    refused++;
                }
            }
            assertEquals(6, delivered + refused);
            assertTrue(delivered <= 3 && refused >= 3, delivered + " delivered, " + refused + " refused");
        } finally {
            senders.shutdownNow();
        }
        List<LoggedRequest> calls = MailmodoRequests.all(key);
        assertTrue(calls.size() <= 3);
    }
}
