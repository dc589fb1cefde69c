package destination.mailmodo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.github.tomakehurst.wiremock.client.WireMock;
import org.junit.jupiter.api.Test;

/**
 * The packaged jar on PostgreSQL: an identify reaches Mailmodo, then PostgreSQL refuses every connection. The
 * sender still gets 200 delivered, readiness turns DOWN with the count, and a SIGTERM while PostgreSQL is still away
 * ends with a log line naming what could not be recorded — by messageId, never by email.
 */
class ShutdownWithUnrecordedOutcomesIT extends OnSharedDatabase {

    private static final String KEY = "mmkey-test-UNRECORDED-IT";

    @Override
    protected int mailmodoDelayMillis() {
        return 700;
    }

    @Test
    void sigtermDuringAnOutageLogsWhatCouldNotBeRecordedByIdOnly() throws Exception {
        String identify = "{\"type\":\"identify\",\"userId\":\"sig-user\",\"messageId\":\"sig-m1\",\"traits\":{\"email\":\"sigterm.person@example.com\"}}";
        PackagedApp app = PackagedApp.start("unrecorded", database.settings("mailmodo.base-url=" + mailmodo.baseUrl()));
        try {
            CompletableFuture<HttpResponse<String>> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    return app.post(identify, KEY);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            long deadline = System.currentTimeMillis() + 5000;
            while (mailmodo.getAllServeEvents().isEmpty()) {
                assertTrue(System.currentTimeMillis() < deadline, "Mailmodo was not called");
                Thread.sleep(10);
            }
            database.refuseConnections();

            HttpResponse<String> delivered = answer.get(10, TimeUnit.SECONDS);
            assertEquals(200, delivered.statusCode(), delivered.body());
            assertTrue(delivered.body().contains("\"delivered\""), delivered.body());
            HttpResponse<String> ready = app.get("/q/health/ready", KEY);
            assertEquals(503, ready.statusCode(), ready.body());
            assertTrue(ready.body().replace(" ", "").contains("\"waiting\":2"), "dedupe key and contact wait: " + ready.body());
            // a resend is answered from memory while PostgreSQL is away
            assertTrue(app.post(identify, KEY).body().contains("\"duplicate\""));

            app.signalTerm();
            assertTrue(app.waitForExit(20), "the process exited");
        } finally {
            app.close();
        }
        String log = Files.readString(app.log, StandardCharsets.UTF_8);
        assertTrue(log.contains("shutdown: 2 outcomes could not be recorded"), log);
        assertTrue(log.contains("messageId=sig-m1"), log);
        assertFalse(log.contains("sigterm.person"), "no email in the log");
        assertEquals(1, mailmodo.getAllServeEvents().size(), "the identify reached Mailmodo once");
    }
}
