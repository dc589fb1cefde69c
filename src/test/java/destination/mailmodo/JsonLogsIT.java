package destination.mailmodo;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import org.junit.jupiter.api.Test;

/**
 * {@code quarkus.log.console.json=true} on the packaged application: every line it prints is one JSON object,
 * each event outcome is one of them, and the paths that log most (delivery, rejection, Mailmodo refusal, dead
 * letter, replay, a Mailmodo outage) print no key, no Basic credential, no email and no trait value.
 */
class JsonLogsIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String KEY = "mmkey-test-JSON-LOGS";

    @Test
    void everyLineIsJsonAndNoneCarriesSecretsOrPersonalData() throws Exception {
        WireMockServer mailmodo = new WireMockServer(options().dynamicPort());
        mailmodo.start();
        try {
            mailmodo.stubFor(WireMock.any(WireMock.anyUrl()).atPriority(10)
                    .willReturn(WireMock.aResponse().withStatus(200).withBody("{\"success\":true}")));
            mailmodo.stubFor(WireMock.post(WireMock.urlEqualTo("/addToList")).withRequestBody(WireMock.containing("refused@")).atPriority(1)
                    .willReturn(WireMock.aResponse().withStatus(400).withBody("{\"success\":false,\"message\":\"refused@example.com is invalid\"}")));
            mailmodo.stubFor(WireMock.post(WireMock.urlEqualTo("/addEvent")).atPriority(1)
                    .willReturn(WireMock.aResponse().withStatus(500).withBody("{\"message\":\"outage for json.user@example.com\"}")));

            PackagedApp app = PackagedApp.start("json-logs", "mailmodo.base-url=" + mailmodo.baseUrl(),
                    "destination.data-dir=" + PackagedApp.emptyDir("json-logs-it-data"), "quarkus.log.console.json=true",
                    "quarkus.log.category.\"destination.mailmodo\".level=DEBUG");
            try (app) {
                assertEquals(200, app.post("""
                        {"type":"identify","userId":"j-user","messageId":"j-1","traits":{"email":"json.user@example.com","company":"Hooli","firstName":"Gavin"}}""",
                        KEY).statusCode());
                assertEquals(400, app.post("{\"type\":\"identify\",\"userId\":", KEY).statusCode());
                assertEquals(400, app.post("""
                        {"type":"identify","userId":"j-bad","messageId":"j-2","traits":{"email":"refused@example.com","company":"Hooli"}}""",
                        KEY).statusCode());
                assertEquals(503, app.post("""
                        {"type":"track","userId":"j-user","messageId":"j-3","event":"Clicked","properties":{"secretPlan":"Hooli XYZ"}}""",
                        KEY).statusCode());
                HttpResponse<String> replay = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(app.baseUrl() + "/destinations/mailmodo/dead-letters/replay")).header("Authorization", PackagedApp.basic(KEY))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(202, replay.statusCode(), replay.body());
                Thread.sleep(1000); // the replay runs after its answer
            }

            List<String> lines = Files.readAllLines(app.log, StandardCharsets.UTF_8).stream().filter(line -> !line.isBlank()).toList();
            List<String> outcomes = new ArrayList<>();
            for (String line : lines) {
                JsonNode entry;
                try {
                    entry = JSON.readTree(line);
                } catch (IOException notJson) {
                    throw new AssertionError("not a JSON log line: " + line);
                }
                assertTrue(entry.isObject() && entry.hasNonNull("message") && entry.hasNonNull("level") && entry.hasNonNull("loggerName"), line);
                if (entry.get("message").asText().startsWith("outcome ")) {
                    outcomes.add(entry.get("message").asText().replaceAll(" tenant=[0-9a-f]+ ", " tenant=T ").replaceAll(" ms=\\d+$", ""));
                }
                assertFalse(line.contains(KEY) || line.contains(PackagedApp.basic(KEY).substring(6, 30)), "a key in: " + line);
                assertFalse(line.contains("@example.com") || line.contains("Hooli") || line.contains("Gavin"), "personal data in: " + line);
            }
            assertEquals(List.of(
                    "outcome messageId=j-1 type=identify tenant=T status=200 outcome=delivered reason=-",
                    "outcome messageId=- type=- tenant=T status=400 outcome=rejected reason=malformed",
                    "outcome messageId=j-2 type=identify tenant=T status=400 outcome=rejected reason=mailmodo_rejected",
                    "outcome messageId=j-3 type=track tenant=T status=503 outcome=retry reason=mailmodo_unavailable"),
                    outcomes.subList(0, 4));
            assertTrue(outcomes.subList(4, outcomes.size()).contains(
                    "outcome messageId=j-2 type=identify tenant=T status=400 outcome=rejected reason=mailmodo_rejected"),
                    "the replay's outcome is logged too: " + outcomes);
        } finally {
            mailmodo.stop();
        }
    }
}
