package destination.mailmodo;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

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

    private WireMockServer mailmodo;
    private Path dataDir;

    @BeforeEach
    void stubMailmodo() throws Exception {
        mailmodo = new WireMockServer(options().dynamicPort());
        mailmodo.start();
        mailmodo.stubFor(WireMock.any(WireMock.anyUrl()).atPriority(10)
                .willReturn(WireMock.aResponse().withStatus(200).withBody("{\"success\":true}")));
        mailmodo.stubFor(WireMock.post(WireMock.urlEqualTo("/addToList")).withRequestBody(WireMock.containing("refused@"))
                .atPriority(1).willReturn(WireMock.aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"no\"}")));
        dataDir = PackagedApp.emptyDir("restart-it-data");
    }

    @AfterEach
    void stop() {
        mailmodo.stop();
    }

    private PackagedApp start(String run) throws Exception {
        return PackagedApp.start("restart-" + run, "mailmodo.base-url=" + mailmodo.baseUrl(),
                "destination.data-dir=" + dataDir.toAbsolutePath());
    }

    @Test
    void stateSurvivesARestartOfThePackagedJar() throws Exception {
        PackagedApp first = start("first");
        try (first) {
            assertEquals(200, first.post("{\"type\":\"identify\",\"userId\":\"r-user\",\"messageId\":\"r-1\",\"traits\":{\"email\":\"restart@example.com\"}}", KEY).statusCode());
            assertEquals(400, first.post("{\"type\":\"identify\",\"userId\":\"r-bad\",\"messageId\":\"r-2\",\"traits\":{\"email\":\"refused@example.com\"}}", KEY).statusCode());
        }

        PackagedApp second = start("second");
        try (second) {
            var again = second.post("{\"type\":\"identify\",\"userId\":\"r-user\",\"messageId\":\"r-1\",\"traits\":{\"email\":\"restart@example.com\"}}", KEY);
            assertEquals(200, again.statusCode());
            assertEquals("duplicate", JSON.readTree(again.body()).get("status").asText(), "the dedupe key survived");
            assertEquals(400, second.post("{\"type\":\"identify\",\"userId\":\"r-bad\",\"messageId\":\"r-2\",\"traits\":{\"email\":\"refused@example.com\"}}", KEY)
                    .statusCode(), "the kept rejection survived");

            assertEquals(200, second.post("{\"type\":\"track\",\"userId\":\"r-user\",\"messageId\":\"r-3\",\"event\":\"Came Back\"}", KEY).statusCode());
            List<LoggedRequest> events = mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/addEvent")));
            assertEquals(1, events.size());
            assertEquals("restart@example.com", JSON.readTree(events.get(0).getBodyAsString()).get("email").asText(), "the contact survived");

            JsonNode letters = JSON.readTree(second.get("/destinations/mailmodo/dead-letters", KEY).body()).get("deadLetters");
            assertEquals(1, letters.size(), "the dead letter survived");
            assertEquals("r-2", letters.get(0).get("messageId").asText());
            assertEquals(2, mailmodo.findAll(WireMock.postRequestedFor(WireMock.urlEqualTo("/addToList"))).size(),
                    "nothing was delivered twice");
        }
        // the production profile's own logs: no key (plain or in a Basic header), no email
        for (PackagedApp run : List.of(first, second)) {
            String log = Files.readString(run.log);
            assertTrue(log.contains("outcome messageId=r-1"), "the run logged its outcomes");
            assertTrue(!log.contains(KEY) && !log.contains(PackagedApp.basic(KEY).substring(6, 20)) && !log.contains("@example.com"),
                    run.log + " holds a key or an email");
        }
    }
}
