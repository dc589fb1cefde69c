package destination.mailmodo;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Packaged instances on a PostgreSQL database of their own, with a WireMock Mailmodo that accepts every call. */
abstract class OnSharedDatabase {

    protected WireMockServer mailmodo;
    protected SharedDatabase database;

    /** How long Mailmodo takes to answer each call. */
    protected abstract int mailmodoDelayMillis();

    @BeforeEach
    void startMailmodoAndDatabase() throws Exception {
        mailmodo = new WireMockServer(options().dynamicPort().containerThreads(100));
        mailmodo.start();
        mailmodo.stubFor(WireMock.any(WireMock.anyUrl()).willReturn(WireMock.aResponse().withStatus(200)
                .withBody("{\"success\":true}").withFixedDelay(mailmodoDelayMillis())));
        database = new SharedDatabase();
    }

    @AfterEach
    void stopMailmodoAndDatabase() throws Exception {
        mailmodo.stop();
        database.close();
    }
}
