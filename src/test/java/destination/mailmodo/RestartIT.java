package destination.mailmodo;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The packaged application, started twice on one data directory: known contacts, dedupe keys and dead
 * letters written by the first run are there for the second (DESIGN §7: a restart loses nothing).
 */
class RestartIT {

    private static final String KEY = "mmkey-test-RESTART-IT";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private WireMockServer mailmodo;
    private Path dataDir;
    private int port;

    @BeforeEach
    void stubMailmodo() throws IOException {
        mailmodo = new WireMockServer(options().dynamicPort());
        mailmodo.start();
        mailmodo.stubFor(WireMock.any(WireMock.anyUrl()).atPriority(10)
                .willReturn(WireMock.aResponse().withStatus(200).withBody("{\"success\":true}")));
        mailmodo.stubFor(WireMock.post(WireMock.urlEqualTo("/addToList")).withRequestBody(WireMock.containing("refused@"))
                .atPriority(1).willReturn(WireMock.aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"no\"}")));
        dataDir = Path.of("target", "restart-it-data");
        if (Files.exists(dataDir)) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
    }

    @AfterEach
    void stop() {
        mailmodo.stop();
    }

    @Test
    void stateSurvivesARestartOfThePackagedJar() throws Exception {
        Process first = start("first");
        try {
            assertEquals(200, post("{\"type\":\"identify\",\"userId\":\"r-user\",\"messageId\":\"r-1\",\"traits\":{\"email\":\"restart@example.com\"}}").statusCode());
            assertEquals(400, post("{\"type\":\"identify\",\"userId\":\"r-bad\",\"messageId\":\"r-2\",\"traits\":{\"email\":\"refused@example.com\"}}").statusCode());
        } finally {
            stopGracefully(first);
        }

        Process second = start("second");
        try {
            HttpResponse<String> again = post("{\"type\":\"identify\",\"userId\":\"r-user\",\"messageId\":\"r-1\",\"traits\":{\"email\":\"restart@example.com\"}}");
            assertEquals(200, again.statusCode());
            assertEquals("duplicate", JSON.readTree(again.body()).get("status").asText(), "the dedupe key survived");

            HttpResponse<String> rejectedAgain = post("{\"type\":\"identify\",\"userId\":\"r-bad\",\"messageId\":\"r-2\",\"traits\":{\"email\":\"refused@example.com\"}}");
            assertEquals(400, rejectedAgain.statusCode(), "the kept rejection survived");

            assertEquals(200, post("{\"type\":\"track\",\"userId\":\"r-user\",\"messageId\":\"r-3\",\"event\":\"Came Back\"}").statusCode());
            List<LoggedRequest> events = mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/addEvent")));
            assertEquals(1, events.size());
            assertEquals("restart@example.com", JSON.readTree(events.get(0).getBodyAsString()).get("email").asText(), "the contact survived");

            JsonNode letters = JSON.readTree(get("/destinations/mailmodo/dead-letters").body()).get("deadLetters");
            assertEquals(1, letters.size(), "the dead letter survived");
            assertEquals("r-2", letters.get(0).get("messageId").asText());
            assertEquals(2, mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/addToList"))).size(),
                    "nothing was delivered twice");
        } finally {
            stopGracefully(second);
        }
        // the production profile's own logs: no key (plain or in a Basic header), no email
        for (String run : List.of("first", "second")) {
            String log = Files.readString(Path.of("target", "restart-it-" + run + ".log"));
            assertTrue(log.contains("outcome messageId=r-1"), "the run logged its outcomes");
            assertTrue(!log.contains(KEY) && !log.contains(basic().substring(6, 20)) && !log.contains("@example.com"),
                    "the " + run + " run logged a key or an email");
        }
    }

    private Process start(String run) throws Exception {
        Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
        assertTrue(Files.exists(jar), "package the application first (mvn verify does)");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dquarkus.http.port=" + port, "-Dmailmodo.base-url=" + mailmodo.baseUrl(),
                "-Ddestination.data-dir=" + dataDir.toAbsolutePath(), "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(Path.of("target", "restart-it-" + run + ".log").toFile()).start();
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (get("/destinations/mailmodo/dead-letters").statusCode() == 200) {
                    return process;
                }
            } catch (IOException notYet) {
                // still starting
            }
            assertTrue(process.isAlive(), "the application exited; see target/restart-it-" + run + ".log");
            Thread.sleep(200);
        }
        process.destroyForcibly();
        throw new AssertionError("the application did not start within 30 s");
    }

    private static void stopGracefully(Process process) throws InterruptedException {
        process.destroy(); // SIGTERM: Quarkus shuts down cleanly
        if (!process.waitFor(Duration.ofSeconds(20).toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
        }
    }

    private HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/destinations/mailmodo"))
                .header("Authorization", basic()).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("Authorization", basic())
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String basic() {
        return "Basic " + Base64.getEncoder().encodeToString((KEY + ":").getBytes(StandardCharsets.UTF_8));
    }
}
