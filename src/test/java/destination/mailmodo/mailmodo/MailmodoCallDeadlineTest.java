package destination.mailmodo.mailmodo;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import destination.mailmodo.segment.RequestBudget;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.apache.hc.core5.http.io.entity.StringEntity;
import org.apache.hc.core5.util.Timeout;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Mailmodo client as the kamelet configures it (MailmodoHttpClient), against a Mailmodo that trickles its
 * answer or keeps the only pooled connection busy: the armed call ends by its deadline — one attempt's time (1.7 s
 * here), or what is left of the request's budget — and says whether it had a connection when it was cut.
 */
class MailmodoCallDeadlineTest {

    private final RequestBudget budget = new RequestBudget(Duration.ofMillis(3500), Duration.ofMillis(1200), Duration.ofMillis(500));
    private final MailmodoCallDeadline deadline = new MailmodoCallDeadline(budget);
    private WireMockServer mailmodo;
    private CloseableHttpClient client;
    private DefaultCamelContext camel;

    @BeforeEach
    void start() {
        mailmodo = new WireMockServer(options().dynamicPort());
        mailmodo.start();
        // a byte every 150 ms for 3 s: each well inside the client's 1.2 s wait between packets
        mailmodo.stubFor(WireMock.post("/trickled").willReturn(WireMock.aResponse().withStatus(200)
                .withBody("{\"success\":true,\"message\":\"" + "x".repeat(40) + "\"}").withChunkedDribbleDelay(20, 3000)));
        mailmodo.stubFor(WireMock.post("/quick").willReturn(WireMock.aResponse().withStatus(200).withBody("{\"success\":true}")));
        // no gzip: a compressed answer reaches the client in bursts, and the trickle would not be one
        HttpClientBuilder builder = HttpClientBuilder.create().disableContentCompression()
                .setConnectionManager(PoolingHttpClientConnectionManagerBuilder.create().setMaxConnTotal(1).setMaxConnPerRoute(1).build())
                .setDefaultRequestConfig(RequestConfig.custom().setResponseTimeout(Timeout.ofMilliseconds(1200))
                        .setConnectionRequestTimeout(Timeout.ofSeconds(30)).build());
        new MailmodoHttpClient(deadline).configureHttpClient(builder);
        client = builder.build();
        camel = new DefaultCamelContext();
    }

    @AfterEach
    void stop() throws IOException {
        client.close();
        mailmodo.stop();
        camel.close();
    }

    /** An exchange whose request arrived {@code agoMillis} ago. */
    private Exchange arrived(long agoMillis) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty(RequestBudget.ARRIVED_AT, System.currentTimeMillis() - agoMillis);
        return exchange;
    }

    private String call(String path) throws IOException {
        HttpPost post = new HttpPost(mailmodo.baseUrl() + path);
        post.setEntity(new StringEntity("{}"));
        return client.execute(post, response -> EntityUtils.toString(response.getEntity()));
    }

    /** Arms, calls, disarms — as the delivery route does; the failure, if any, is left on the exchange. */
    private long armedCall(Exchange exchange, String path) {
        long started = System.nanoTime();
        deadline.arm(exchange);
        try {
            call(path);
        } catch (IOException | RuntimeException failed) {
            exchange.setException(failed);
        } finally {
            deadline.disarm(exchange);
        }
        return (System.nanoTime() - started) / 1_000_000;
    }

    @Test
    void aTrickledAnswerIsCutAtOneAttemptsTime() {
        Exchange exchange = arrived(0);
        long took = armedCall(exchange, "/trickled");
        assertTrue(exchange.getException() != null, "the call failed");
        assertTrue(took >= 1600 && took < 2300, "cut after " + took + " ms, not when the answer ended (3 s)");
        assertEquals(MailmodoCallDeadline.Cut.UNANSWERED, exchange.getProperty(MailmodoCallDeadline.CUT));
        assertTrue(DeliveryRetries.ambiguous(exchange, exchange.getException()), "sent, never answered: ambiguous");
    }

    @Test
    void aCallWaitingForAConnectionIsCutWhenTheBudgetEnds() throws Exception {
        // the pool's only connection is busy with a trickled answer for 3 s (a call nobody armed)
        CompletableFuture<String> busy = CompletableFuture.supplyAsync(() -> {
            try {
                return call("/trickled");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(200);
        Exchange exchange = arrived(3500 - 600); // 600 ms of budget left
        long took = armedCall(exchange, "/quick");
        assertTrue(took >= 500 && took < 1100, "cut after " + took + " ms");
        assertEquals(MailmodoCallDeadline.Cut.NO_CONNECTION, exchange.getProperty(MailmodoCallDeadline.CUT));
        assertTrue(!DeliveryRetries.ambiguous(exchange, exchange.getException()), "nothing was sent");
        busy.get();
    }

    @Test
    void anAnsweredCallIsNotCutAndLeavesThePoolUsable() throws Exception {
        Exchange exchange = arrived(0);
        armedCall(exchange, "/quick");
        assertNull(exchange.getException());
        assertNull(exchange.getProperty(MailmodoCallDeadline.CUT));
        Thread.sleep(1900); // past the first call's deadline: its abort was disarmed, the pooled connection is fine
        assertEquals("{\"success\":true}", call("/quick"));
    }
}
