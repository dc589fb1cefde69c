package destination.mailmodo;

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
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.net.ssl.SSLContext;

/** The packaged jar (target/quarkus-app) run as its users run it, with settings as -D options. */
final class PackagedApp implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final Process process;
    private final String baseUrl;
    private final HttpClient http;
    final Path log;

    private PackagedApp(Process process, String baseUrl, HttpClient http, Path log) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.http = http;
        this.log = log;
    }

    static PackagedApp start(String name, String... settings) throws Exception {
        int port = freePort();
        Path log = Path.of("target", "packaged-" + name + ".log");
        return awaitReady(new PackagedApp(launch(port, log, settings), "http://localhost:" + port, HTTP, log));
    }

    /**
     * HTTPS only: TLS on a free port with the given PKCS#12 key store, plain HTTP disabled; the client trusts
     * {@code trusting} (the store's own certificate).
     */
    static PackagedApp startHttpsOnly(String name, Path keyStore, String password, SSLContext trusting, String... settings) throws Exception {
        int port = freePort();
        Path log = Path.of("target", "packaged-" + name + ".log");
        List<String> all = new ArrayList<>(List.of("quarkus.http.ssl-port=" + port, "quarkus.http.insecure-requests=disabled",
                "quarkus.http.ssl.certificate.key-store-file=" + keyStore.toAbsolutePath(),
                "quarkus.http.ssl.certificate.key-store-password=" + password));
        all.addAll(List.of(settings));
        HttpClient tls = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).sslContext(trusting).build();
        return awaitReady(new PackagedApp(launch(freePort(), log, all.toArray(String[]::new)), "https://localhost:" + port, tls, log));
    }

    /** An empty directory under target/ for one launch's state (a previous run's is removed). */
    static Path emptyDir(String name) throws IOException {
        Path dir = Path.of("target", name);
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
        return Files.createDirectories(dir).toAbsolutePath();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static PackagedApp awaitReady(PackagedApp app) throws Exception {
        Process process = app.process;
        Path log = app.log;
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            try {
                app.get("/destinations/mailmodo/dead-letters", "nobody");
                return app;
            } catch (IOException notYet) {
                assertTrue(process.isAlive(), "the application exited; see " + log);
                Thread.sleep(200);
            }
        }
        process.destroyForcibly();
        throw new AssertionError("the application did not start within 30 s; see " + log);
    }

    /** How a start that must fail ended: the exit code and everything the process printed. */
    record Exited(int exitCode, String output) {
    }

    static Exited runUntilExit(String name, String... settings) throws Exception {
        Path log = Path.of("target", "packaged-" + name + ".log");
        Process process = launch(0, log, settings);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the application kept running; see " + log);
        }
        return new Exited(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    /**
     * The packaged jar, or the native executable when the build made one (-Dnative sets packaged.native-executable), with
     * settings as -D options.
     */
    private static Process launch(int port, Path log, String... settings) throws IOException {
        List<String> command = new ArrayList<>();
        String nativeImage = System.getProperty("packaged.native-executable", "");
        if (!nativeImage.isEmpty()) {
            command.add(Path.of(nativeImage).toAbsolutePath().toString());
        } else {
            Path jar = Path.of("target", "quarkus-app", "quarkus-run.jar");
            assertTrue(Files.exists(jar), "package the application first (mvn verify does)");
            command.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar.toString()));
        }
        // -D options right after the program: before -jar for java, and a native executable reads them there too
        List<String> options = new ArrayList<>(List.of("-Dquarkus.http.port=" + port));
        for (String setting : settings) {
            options.add("-D" + setting);
        }
        command.addAll(1, options);
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    String baseUrl() {
        return baseUrl;
    }

    HttpResponse<String> post(String body, String apiKey) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/destinations/mailmodo"))
                .header("Authorization", basic(apiKey)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String apiKey) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl + path)).header("Authorization", basic(apiKey))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static String basic(String apiKey) {
        return "Basic " + Base64.getEncoder().encodeToString((apiKey + ":").getBytes(StandardCharsets.UTF_8));
    }

    /** SIGTERM, as an orchestrator sends it. */
    void signalTerm() {
        process.destroy();
    }

    boolean waitForExit(int seconds) throws InterruptedException {
        return process.waitFor(seconds, TimeUnit.SECONDS);
    }

    /** SIGTERM, as an orchestrator stops it: Quarkus shuts down cleanly. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
