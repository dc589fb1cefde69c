package destination.mailmodo.e2e;

import static io.restassured.RestAssured.given;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import io.restassured.response.ValidatableResponse;
import io.restassured.specification.RequestSpecification;

/** A Segment-like sender: Basic auth with the Mailmodo key as username, JSON body, one event per POST. */
public final class Sender {

    public static final String PATH = "/destinations/mailmodo";

    private Sender() {
    }

    public static RequestSpecification as(String apiKey) {
        return given().header("Authorization", basic(apiKey)).contentType("application/json")
                .header("User-Agent", "Segment.io/1.0");
    }

    public static ValidatableResponse send(String apiKey, String body) {
        return as(apiKey).body(body).post(PATH).then();
    }

    public static ValidatableResponse send(String apiKey, String body, java.util.Map<String, String> headers) {
        return as(apiKey).headers(headers).body(body).post(PATH).then();
    }

    public static String basic(String username) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":").getBytes(StandardCharsets.UTF_8));
    }
}
