package destination.mailmodo.delivery;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import destination.mailmodo.event.RequestBudget;
import destination.mailmodo.event.TenantKey;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery unit's Mailmodo call against a stub Mailmodo: the exact request it sends, how it classifies the
 * answer, and its deadline — one attempt's time (1.7 s here) or what is left of the request's budget — against a
 * Mailmodo that trickles its answer or keeps the only pooled connection busy.
 */
class MailmodoCallTest {

    private static final String KEY = "mm-test-key-0123456789";

    private final RequestBudget budget = new RequestBudget(Duration.ofMillis(3500), Duration.ofMillis(1200), Duration.ofMillis(500));
    private WireMockServer mailmodo;
    private Vertx vertx;
    private MailmodoCall call;
    private DefaultCamelContext camel;

    @BeforeEach
    void start() {
        // no gzip: a compressed answer reaches the client in bursts, and the trickle would not be one
        mailmodo = new WireMockServer(options().dynamicPort().gzipDisabled(true));
        mailmodo.start();
        // a byte every 150 ms for 3 s: each well inside the client's 1.2 s wait between packets
        mailmodo.stubFor(WireMock.post("/api/v1/trickled").willReturn(WireMock.aResponse().withStatus(200)
                .withBody("{\"success\":true,\"message\":\"" + "x".repeat(40) + "\"}").withChunkedDribbleDelay(20, 3000)));
        mailmodo.stubFor(WireMock.post("/api/v1/addEvent").willReturn(WireMock.aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"success\":true}")));
        mailmodo.stubFor(WireMock.post("/api/v1/busy").willReturn(WireMock.aResponse().withStatus(429)
                .withHeader("Retry-After", "2").withBody("{\"message\":\"slow down\"}")));
        mailmodo.stubFor(WireMock.post("/api/v1/refused").willReturn(WireMock.aResponse().withStatus(200)
                .withBody("{\"success\":false,\"message\":\"invalid email\"}")));
        vertx = Vertx.vertx();
        call = new MailmodoCall(vertx, mailmodo.baseUrl() + "/api/v1", Duration.ofMillis(500), Duration.ofMillis(1200), 1, budget,
                new MailmodoResponses(new ObjectMapper()), new DeliveryCounters(new SimpleMeterRegistry()));
        camel = new DefaultCamelContext();
    }

    @AfterEach
    void stop() throws Exception {
        call.closeClient();
        vertx.close().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
        mailmodo.stop();
        camel.close();
    }

    /** An exchange for {@code path} whose request arrived {@code agoMillis} ago. */
    private Exchange exchange(String path, long agoMillis) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.setProperty(RequestBudget.ARRIVED_AT, System.currentTimeMillis() - agoMillis);
        exchange.setProperty("tenantKey", TenantKey.of(KEY));
        exchange.setProperty(MailmodoCall.PATH, path);
        exchange.getMessage().setBody("{\"email\":\"a@example.com\",\"event\":\"Café Signed Up\"}");
        return exchange;
    }

    /** Runs the call as the route does and waits for its completion; returns how long it took. */
    private long run(Exchange exchange) throws Exception {
        long started = System.nanoTime();
        CompletableFuture<Boolean> done = new CompletableFuture<>();
        boolean sync = call.process(exchange, done::complete);
        assertEquals(false, sync, "the calling thread does not wait for Mailmodo");
        assertEquals(false, done.get(10, TimeUnit.SECONDS));
        return (System.nanoTime() - started) / 1_000_000;
    }

    @Test
    void postsTheBodyWithTheKeyAsMmApiKeyOnly() throws Exception {
        Exchange exchange = exchange("addEvent", 0);
        run(exchange);
        assertNull(exchange.getException());
        assertEquals(200, exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE));
        assertEquals("{\"success\":true}", exchange.getMessage().getBody(String.class));
        LoggedRequest sent = mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/api/v1/addEvent"))).get(0);
        // UTF-8 whatever the platform's default charset
        assertEquals("{\"email\":\"a@example.com\",\"event\":\"Café Signed Up\"}", new String(sent.getBody(), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(KEY, sent.getHeader("mmApiKey"));
        assertEquals("application/json; charset=utf-8", sent.getHeader("Content-Type").toLowerCase(java.util.Locale.ROOT));
        assertEquals("application/json", sent.getHeader("Accept"));
        assertEquals("mailmodo-destination", sent.getHeader("User-Agent"));
        assertTrue(!sent.containsHeader("Authorization") && !sent.containsHeader("Cookie"), sent.getHeaders().toString());
        assertTrue(!sent.getAbsoluteUrl().contains(KEY));
    }

    @Test
    void classifiesMailmodosRefusalsAndItsRetryAfter() throws Exception {
        Exchange busy = exchange("busy", 0);
        run(busy);
        RetryableMailmodoException retry = assertInstanceOf(RetryableMailmodoException.class, busy.getException());
        assertEquals(2, retry.mailmodoRetryAfter().getAsInt());
        Exchange refused = exchange("refused", 0);
        run(refused);
        assertEquals("Mailmodo rejected the event: invalid email", assertInstanceOf(PermanentMailmodoException.class, refused.getException()).outcome().message());
    }

    @Test
    void aTrickledAnswerIsCutAtOneAttemptsTime() throws Exception {
        Exchange exchange = exchange("trickled", 0);
        long took = run(exchange);
        assertInstanceOf(SocketTimeoutException.class, exchange.getException());
        assertTrue(took >= 1600 && took < 2300, "cut after " + took + " ms, not when the answer ended (3 s)");
        assertEquals(MailmodoCall.Cut.UNANSWERED, exchange.getProperty(MailmodoCall.CUT));
        assertTrue(DeliveryRetries.ambiguous(exchange, exchange.getException()), "sent, never answered: ambiguous");
    }

    @Test
    void aCallWaitingForAConnectionEndsWithinTheBudgetAndIsNotAmbiguous() throws Exception {
        // the pool's only connection is busy with a trickled answer for 3 s
        Exchange first = exchange("trickled", 0);
        CompletableFuture<Boolean> busy = new CompletableFuture<>();
        call.process(first, busy::complete);
        Thread.sleep(200);
        Exchange exchange = exchange("addEvent", 3500 - 400); // 400 ms of budget left
        long took = run(exchange);
        assertTrue(took >= 300 && took < 900, "ended after " + took + " ms");
        assertInstanceOf(ConnectException.class, exchange.getException());
        assertTrue(!DeliveryRetries.ambiguous(exchange, exchange.getException()), "nothing was sent");
        busy.get(5, TimeUnit.SECONDS);
        assertEquals(0, mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/api/v1/addEvent"))).size());
    }

    @Test
    void aSpentBudgetSendsNothing() throws Exception {
        Exchange exchange = exchange("addEvent", 3600);
        long took = run(exchange);
        assertTrue(took < 200, took + " ms");
        assertEquals(MailmodoCall.Cut.NO_CONNECTION, exchange.getProperty(MailmodoCall.CUT));
        assertEquals(0, mailmodo.getAllServeEvents().size());
    }

    @Test
    void anAnsweredCallIsNotCutAndLeavesThePoolUsable() throws Exception {
        Exchange exchange = exchange("addEvent", 0);
        run(exchange);
        assertNull(exchange.getException());
        Thread.sleep(1900); // past the first call's deadline: its timer was cancelled, the pooled connection is fine
        Exchange again = exchange("addEvent", 0);
        run(again);
        assertNull(again.getException());
        assertNull(again.getProperty(MailmodoCall.CUT));
    }
}
