package destination.mailmodo;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The packaged application refusing to start on an invalid setting, draining on SIGTERM, and serving HTTPS only. */
class StartupShutdownIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private WireMockServer mailmodo;

    @BeforeEach
    void stubMailmodo() {
        mailmodo = new WireMockServer(options().dynamicPort());
        mailmodo.start();
    }

    @AfterEach
    void stop() {
        mailmodo.stop();
    }

    @Test
    void anInvalidSettingStopsStartUpWithOneLineNamingIt() throws Exception {
        record Case(String setting, String line) {
        }
        for (Case bad : List.of(
                new Case("mailmodo.rate-limit=0", "invalid setting mailmodo.rate-limit: must be a whole number of at least 1, got \"0\""),
                new Case("destination.store=mysql", "invalid setting destination.store: must be embedded or postgresql, got \"mysql\""),
                new Case("mailmodo.api-key=mmkey-test-FIXED-ONLY",
                        "invalid setting destination.inbound-token: mailmodo.api-key and destination.inbound-token must be set together"
                                + " (fixed-key mode) or both left unset"),
                new Case("destination.dedupe-ttl=soon", "destination.dedupe-ttl"))) {
            PackagedApp.Exited run = PackagedApp.runUntilExit("bad-setting", "destination.data-dir=target/startup-it-data",
                    "mailmodo.base-url=" + mailmodo.baseUrl(), bad.setting());
            assertEquals(1, run.exitCode(), bad.setting() + ":\n" + run.output());
            List<String> problemLines = run.output().lines().filter(line -> line.contains(bad.line())).toList();
            assertEquals(1, problemLines.size(), "one line naming the setting for " + bad.setting() + ":\n" + run.output());
            assertFalse(run.output().contains("\tat ") || run.output().contains("Exception"), "no stack trace:\n" + run.output());
            assertFalse(run.output().contains("mmkey-test-FIXED-ONLY"), "the key is not printed");
            assertEquals(0, mailmodo.getAllServeEvents().size());
        }
    }

    @Test
    void sigtermLetsARequestInFlightFinishBeforeExit() throws Exception {
        mailmodo.stubFor(WireMock.post(WireMock.anyUrl()).willReturn(WireMock.aResponse().withStatus(200)
                .withBody("{\"success\":true}").withFixedDelay(1500)));
        PackagedApp app = PackagedApp.start("drain", "destination.data-dir=" + PackagedApp.emptyDir("drain-it-data"), "mailmodo.base-url=" + mailmodo.baseUrl(),
                "mailmodo.timeout=PT2S");
        try (app) {
            CompletableFuture<HttpResponse<String>> inFlight = CompletableFuture.supplyAsync(() -> {
                try {
                    return app.post("{\"type\":\"identify\",\"userId\":\"d-user\",\"messageId\":\"drain-1\",\"traits\":{\"email\":\"drain@example.com\"}}",
                            "mmkey-test-DRAIN");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // the Mailmodo call takes 1.5 s (WireMock journals it only once answered): signal in the middle of it
            Thread.sleep(600);
            long signalled = System.nanoTime();
            app.signalTerm();
            HttpResponse<String> answer = inFlight.get(10, TimeUnit.SECONDS);
            long answeredAfter = (System.nanoTime() - signalled) / 1_000_000;
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("delivered", JSON.readTree(answer.body()).get("status").asText());
            assertTrue(answeredAfter >= 300, "the request was still at Mailmodo when SIGTERM arrived (answered " + answeredAfter + " ms after)");
            assertEquals(1, mailmodo.getAllServeEvents().size());
            assertTrue(app.waitForExit(15), "the application exited after draining");
            long tookMillis = (System.nanoTime() - signalled) / 1_000_000;
            assertTrue(tookMillis < 10_000, "drained within quarkus.shutdown.timeout, took " + tookMillis + " ms");
            assertTrue(Files.readString(app.log).contains("outcome messageId=drain-1 type=identify"), "the outcome was logged before exit");
        }
    }

    @Test
    void httpsOnlyServesTheIngestOverTls() throws Exception {
        mailmodo.stubFor(WireMock.post(WireMock.anyUrl()).willReturn(WireMock.aResponse().withStatus(200).withBody("{\"success\":true}")));
        Path keyStore = Path.of("target", "https-it.p12");
        Files.deleteIfExists(keyStore);
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost",
                "-ext", "SAN=dns:localhost", "-storetype", "PKCS12", "-keystore", keyStore.toString(), "-storepass", "changeit",
                "-keypass", "changeit").redirectErrorStream(true).start();
        assertEquals(0, keytool.waitFor(), new String(keytool.getInputStream().readAllBytes()));

        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keyStore)) {
            store.load(in, "changeit".toCharArray());
        }
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(store);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);

        PackagedApp app = PackagedApp.startHttpsOnly("https", keyStore, "changeit", tls, "destination.data-dir=" + PackagedApp.emptyDir("https-it-data"),
                "mailmodo.base-url=" + mailmodo.baseUrl());
        try (app) {
            assertTrue(app.baseUrl().startsWith("https://"));
            HttpResponse<String> answer = app.post("{\"type\":\"identify\",\"userId\":\"t-user\",\"messageId\":\"tls-1\",\"traits\":{\"email\":\"tls@example.com\"}}",
                    "mmkey-test-TLS");
            assertEquals(200, answer.statusCode(), answer.body());
            assertEquals("delivered", JSON.readTree(answer.body()).get("status").asText());
            assertEquals(1, mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/addToList"))
                    .withHeader("mmApiKey", WireMock.equalTo("mmkey-test-TLS"))).size());
        }
    }
}
