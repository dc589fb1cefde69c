package destination.mailmodo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import org.junit.jupiter.api.Test;

/**
 * The store outage of issue 9 as an operator would cause it, on the packaged jar with PostgreSQL: a Segment-like
 * sender posts batches of tracks from 8 threads and resends every batch not answered 200 — while PostgreSQL first
 * refuses every connection for 5 s, then the dedupe table is locked for 5 s. Every event reaches Mailmodo exactly
 * once.
 */
class StoreOutageIT extends OnSharedDatabase {

    private static final int SENDERS = 8;
    private static final int BATCHES_PER_SENDER = 6;
    private static final int EVENTS_PER_BATCH = 10;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    protected int mailmodoDelayMillis() {
        return 150;
    }

    private static String batch(int sender, int batch) {
        List<String> events = new ArrayList<>();
        for (int e = 0; e < EVENTS_PER_BATCH; e++) {
            String id = "so-" + sender + "-" + batch + "-" + e;
            events.add("{\"type\":\"track\",\"messageId\":\"" + id + "\",\"event\":\"" + id + "\",\"properties\":{\"email\":\"outage"
                    + sender + "@example.com\"}}");
        }
        return "{\"batch\":[" + String.join(",", events) + "]}";
    }

    @Test
    void noEventReachesMailmodoTwiceAcrossAStoreOutageAndALock() throws Exception {
        AtomicInteger posts = new AtomicInteger();
        AtomicInteger retried = new AtomicInteger();
        Map<String, Integer> answers = new ConcurrentHashMap<>();
        try (PackagedApp app = PackagedApp.start("store-outage", database.settings("mailmodo.base-url=" + mailmodo.baseUrl(),
                "mailmodo.rate-limit=50"))) {
            ExecutorService senders = Executors.newFixedThreadPool(SENDERS + 1);
            List<Future<?>> sent = new ArrayList<>();
            for (int s = 0; s < SENDERS; s++) {
                int sender = s;
                sent.add(senders.submit(() -> {
                    for (int b = 0; b < BATCHES_PER_SENDER; b++) {
                        String body = batch(sender, b);
                        for (int attempt = 0; ; attempt++) {
                            assertTrue(attempt < 200, "batch never accepted");
                            HttpResponse<String> answer = app.post(body, "mmkey-test-OUTAGE-IT-" + sender);
                            posts.incrementAndGet();
                            answers.merge(String.valueOf(answer.statusCode()), 1, Integer::sum);
                            if (answer.statusCode() == 200) {
                                break;
                            }
                            assertEquals(503, answer.statusCode(), answer.body());
                            retried.incrementAndGet();
                            Thread.sleep(200); // Segment waits longer; the point is to resend while the store is away
                        }
                        Thread.sleep(300);
                    }
                    return null;
                }));
            }
            // the operator's faults, while the senders run
            Thread.sleep(1000);
            database.refuseConnections();
            Thread.sleep(5000);
            database.allowConnections();
            Thread.sleep(1000);
            try (Connection lock = database.connect(); Statement statement = lock.createStatement()) {
                statement.execute("BEGIN");
                statement.execute("LOCK TABLE processed_message IN ACCESS EXCLUSIVE MODE");
                Thread.sleep(5000);
                statement.execute("ROLLBACK");
            }
            for (Future<?> done : sent) {
                done.get(120, TimeUnit.SECONDS);
            }
            senders.shutdown();

            String log = Files.readString(app.log, StandardCharsets.UTF_8);
            int kept = log.split("state store did not record", -1).length - 1;
            Map<String, Integer> calls = new TreeMap<>();
            for (ServeEvent call : mailmodo.getAllServeEvents()) {
                calls.merge(JSON.readTree(call.getRequest().getBodyAsString()).get("event_name").asText(), 1, Integer::sum);
            }
            long twice = calls.values().stream().filter(n -> n > 1).count();
            System.out.printf("store outage: %d events, %d posts (%d answered 503 and resent), answers %s, %d outcomes kept in memory"
                    + " while the store was away, %d events reached Mailmodo more than once%n", SENDERS * BATCHES_PER_SENDER
                    * EVENTS_PER_BATCH, posts.get(), retried.get(), answers, kept, twice);
            assertEquals(SENDERS * BATCHES_PER_SENDER * EVENTS_PER_BATCH, calls.size(), "every event reached Mailmodo");
            assertEquals(0, twice, "events sent twice: " + calls.entrySet().stream().filter(e -> e.getValue() > 1).toList());
            assertTrue(retried.get() > 0, "the outage was noticed by the sender");
        }
    }
}
