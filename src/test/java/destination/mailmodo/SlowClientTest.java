package destination.mailmodo;

import static destination.mailmodo.e2e.Sender.send;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import destination.mailmodo.e2e.MailmodoStub;
import destination.mailmodo.e2e.TestKeys;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import org.junit.jupiter.api.Test;

/**
 * Connections that send nothing useful are closed (quarkus.http.idle-timeout, here 2 s): one that sends nothing, or
 * trickles its headers a byte a second, at the idle timeout; one that trickles its body once the server has
 * written nothing to it for the idle timeout + the request budget (3.5 s) + 1 s — while normal requests are
 * answered all along.
 */
@QuarkusTest
@QuarkusTestResource(MailmodoStub.class)
@TestProfile(SlowClientTest.ShortIdleTimeout.class)
class SlowClientTest {

    public static final class ShortIdleTimeout implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.http.idle-timeout", "2S");
        }
    }

    private static final long WINDOW_MILLIS = 2000 + 3500 + 1000;

    /** How a trickling connection ended: how long it stayed open, and what the server wrote to it meanwhile. */
    private record Trickled(long openMillis, String received) {
    }

    /** Sends {@code atOnce}, then {@code bytes} one per second until the server closes the connection. */
    private static Trickled trickle(String atOnce, String bytes) throws Exception {
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(1000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            StringBuilder received = new StringBuilder();
            long opened = System.nanoTime();
            out.write(atOnce.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] buffer = new byte[4096];
            for (int i = 0; i < bytes.length() && i < 40; i++) {
                try {
                    out.write(bytes.charAt(i));
                    out.flush();
                    int read = in.read(buffer);
                    if (read == -1) {
                        return new Trickled((System.nanoTime() - opened) / 1_000_000, received.toString());
                    }
                    received.append(new String(buffer, 0, read, StandardCharsets.US_ASCII));
                } catch (java.net.SocketTimeoutException stillOpen) {
                    continue; // nothing to read: the server is still waiting for the rest
                } catch (SocketException closed) {
                    return new Trickled((System.nanoTime() - opened) / 1_000_000, received.toString());
                }
            }
            throw new AssertionError("the connection stayed open for 40 bytes; received: " + received);
        }
    }

    /** Trickles on one connection while a normal client is served. */
    private static Trickled trickledWhileOthersAreServed(String atOnce, String bytes) throws Exception {
        String key = TestKeys.fresh();
        // a first request (a fresh application compiles its path) before the clock of the slow client starts
        send(key, "{\"type\":\"identify\",\"userId\":\"slow-warm\",\"traits\":{\"email\":\"slow.warm@example.com\"}}").statusCode(200);
        CompletableFuture<Trickled> trickled = CompletableFuture.supplyAsync(() -> {
            try {
                return trickle(atOnce, bytes);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        int served = 0;
        while (!trickled.isDone()) {
            send(key, "{\"type\":\"identify\",\"userId\":\"slow-" + served + "\",\"traits\":{\"email\":\"slow" + served + "@example.com\"}}")
                    .statusCode(200).body("status", equalTo("delivered"));
            served++;
            Thread.sleep(250);
        }
        Trickled result = trickled.get(1, TimeUnit.SECONDS);
        System.out.printf("trickling client cut off after %d ms; %d requests served meanwhile%n", result.openMillis(), served);
        assertTrue(served >= 2 && served >= result.openMillis() / 1000 - 1, "normal traffic flowed: " + served);
        return result;
    }

    /** Headers a byte a second: the server never sees a request, so the connection counts as idle. */
    @Test
    void aClientTricklingItsHeadersIsCutOffAtTheIdleTimeout() throws Exception {
        Trickled trickled = trickledWhileOthersAreServed("", "POST /destinations/mailmodo HTTP/1.1\r\nHost: localhost\r\nX-Slow: "
                + "a".repeat(200) + "\r\n");
        assertTrue(trickled.openMillis() >= 1500 && trickled.openMillis() <= 2000 + 2500, "open for " + trickled.openMillis() + " ms");
        assertEquals("", trickled.received());
    }

    /**
     * The body a byte a second: the request's budget runs from its headers, so the sender is answered 503 deadline
     * when it is spent; the connection is cut off once nothing more was written to it for the request window.
     */
    @Test
    void aClientTricklingItsBodyIsAnsweredWithinTheBudgetAndThenCutOff() throws Exception {
        Trickled trickled = trickledWhileOthersAreServed("POST /destinations/mailmodo HTTP/1.1\r\nHost: localhost\r\n"
                + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n", "{".repeat(200));
        assertTrue(trickled.received().startsWith("HTTP/1.1 503 "), trickled.received());
        assertTrue(trickled.received().contains("\"reason\":\"deadline\""), trickled.received());
        long answeredBy = 3500 + 500;
        assertTrue(trickled.openMillis() >= WINDOW_MILLIS && trickled.openMillis() <= answeredBy + WINDOW_MILLIS + 1500,
                "open for " + trickled.openMillis() + " ms");
    }

    private static long silent() throws Exception {
        try (Socket socket = new Socket("localhost", RestAssured.port)) {
            socket.setSoTimeout(20_000);
            long opened = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read(), "the server sent something");
            return (System.nanoTime() - opened) / 1_000_000;
        }
    }

    @Test
    void aConnectionThatSendsNothingIsClosedAtTheIdleTimeout() throws Exception {
        long openMillis = silent();
        assertTrue(openMillis >= 1500 && openMillis <= 4000, "open for " + openMillis + " ms");
    }
}
