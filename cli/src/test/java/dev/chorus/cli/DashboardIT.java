package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;
import picocli.CommandLine;

/**
 * {@code chorus ui} in a real browser: the dashboard is opened in headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, driven by Selenium) before a train job with a label model runs on a real broker and
 * MiniCluster, and shows, as the records arrive (pushed to the page by Server-Sent Events), what a person would
 * see: the task, its learning curve with points, an annotator's K x K confusion heatmap, as many consensus items as
 * the consensus topic holds distinct keys, and as many dead letters as the topic holds. Saves a screenshot to
 * {@code target/dashboard.png} (the README shows a copy). Then, with records written straight to the topics, that a
 * leaderboard and annotators the topics no longer hold leave the open page.
 * Without Chromium the test is skipped, unless CHORUS_REQUIRE_BROWSER=true (as CI sets), which makes it fail.
 */
public class DashboardIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Duration DEADLINE = Duration.ofMinutes(3);
    static final Pattern URL = Pattern.compile("(http://127\\.0\\.0\\.1:\\d+/)");
    static final String TASK = "crowd";
    static final int K = 3;

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":3,
             "labelModel":"dawid-skene"}""";

    @Test
    void thePageShowsTheTaskItsLearningCurveAnAnnotatorsHeatmapItsConsensusAndTheDeadLetters() throws Exception {
        requireBrowser();

        String bootstrap = KAFKA.broker().bootstrapServers();
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(bootstrap)
                .groupId("dashboard-it")
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(500)
                .snapshotEveryBatches(2)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .annotatorPublishIntervalMs(0)
                .bounded(true)
                .parallelism(1);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 1);

        StringWriter uiOut = new StringWriter();
        Thread server = startUi(uiOut, "dashboard-it-ui", "--bootstrap-servers", bootstrap);
        WebDriver driver = null;
        try {
            String url = awaitUrl(uiOut, server);
            driver = chromium();
            driver.manage().window().setSize(new Dimension(1280, 1800));
            // Opened before any record exists: what follows reaches the page live.
            driver.get(url);

            produce(settings);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.execute("dashboard-it");
            // The job's last transactions are committed, but their markers may not have reached the topics yet.
            for (String topic : List.of(settings.deadLetterTopic().name(), settings.consensusTopic().name())) {
                assertThat(TopicReader.awaitSettled(bootstrap, Map.of(), topic, JobTestSupport.PATIENCE))
                        .as("%s settled", topic).isTrue();
            }
            int deadLetters = TopicReader.readAllRecords(bootstrap, Map.of(), settings.deadLetterTopic().name()).size();
            assertThat(deadLetters).as("records on the dead-letter topic").isEqualTo(2);

            JavascriptExecutor js = (JavascriptExecutor) driver;
            WebDriverWait wait = new WebDriverWait(driver, DEADLINE);
            String task = "[data-task='" + TASK + "']";
            wait.until(d -> !d.findElements(By.cssSelector(task + " h2")).isEmpty());
            assertThat(driver.findElement(By.cssSelector(task + " h2")).getText()).contains(TASK);

            // Points of the drawn accuracy curve, read from the chart itself.
            String curvePoints = "var el = document.querySelector(\"" + task + " .curve\");"
                    + "var c = el && echarts.getInstanceByDom(el); if (!c) return 0;"
                    + "var s = c.getOption().series.filter(function (x) { return x.name.indexOf('accuracy') >= 0; });"
                    + "return s.length ? s[0].data.filter(function (p) { return p[1] !== null; }).length : 0;";
            wait.until(d -> ((Number) js.executeScript(curvePoints)).longValue() >= 2);
            assertThat(((Number) js.executeScript(curvePoints)).longValue()).as("learning-curve points")
                    .isGreaterThanOrEqualTo(2);

            String heatmapCells = "var el = document.querySelector(\"" + task + " .heatmap\");"
                    + "var c = el && echarts.getInstanceByDom(el); return c ? c.getOption().series[0].data.length : 0;";
            wait.until(d -> ((Number) js.executeScript(heatmapCells)).longValue() > 0);
            assertThat(((Number) js.executeScript(heatmapCells)).longValue()).as("heatmap cells of an annotator")
                    .isEqualTo(K * K);

            String shown = "#dead-letter-total";
            wait.until(d -> String.valueOf(deadLetters).equals(d.findElement(By.cssSelector(shown)).getText()));
            assertThat(driver.findElement(By.cssSelector(shown)).getText()).as("dead letters shown")
                    .isEqualTo(String.valueOf(deadLetters));
            assertThat(driver.findElement(By.id("dead-letters")).getText()).as("grouped by field")
                    .contains("label").contains("(record)");

            int consensusItems = TopicReader.readLatest(bootstrap, Map.of(), settings.consensusTopic().name(),
                    value -> value).size();
            assertThat(consensusItems).as("items on the consensus topic (a label-model task)").isPositive();
            String items = task + " .consensus-items";
            wait.until(d -> d.findElements(By.cssSelector(items)).stream()
                    .anyMatch(e -> String.valueOf(consensusItems).equals(e.getText())));
            assertThat(driver.findElement(By.cssSelector(items)).getText()).as("consensus items shown")
                    .isEqualTo(String.valueOf(consensusItems));

            assertNoPolicyViolations(driver);
            Path screenshot = Path.of("target", "dashboard.png");
            Files.write(screenshot, ((ChromeDriver) driver).getScreenshotAs(OutputType.BYTES));
            assertThat(Files.size(screenshot)).isPositive();
        } finally {
            stop(driver, server);
        }
        assertThat(server.isAlive()).as("chorus ui stops when interrupted").isFalse();
    }

    /**
     * Records written straight to the topics, no job: a task with two variants and each variant's model of one
     * annotator, then the second variant and the annotators tombstoned. The page, never reloaded, shows the
     * leaderboard, both heatmaps and the variant, then neither the leaderboard nor the annotators.
     */
    @Test
    void aLeaderboardAndAnnotatorsTheTopicsNoLongerHoldLeaveThePageWithoutAReload() throws Exception {
        requireBrowser();
        String bootstrap = KAFKA.broker().bootstrapServers();
        String models = "stale.models";
        String annotators = "stale.annotators";
        KAFKA.broker().createTopic(models, 1, Map.of());
        KAFKA.broker().createTopic(annotators, 1, Map.of());

        StringWriter uiOut = new StringWriter();
        Thread server = startUi(uiOut, "dashboard-it-stale-ui", "--bootstrap-servers", bootstrap, "--models-topic",
                models, "--annotators-topic", annotators, "--consensus-topic", "stale.consensus", "--dead-letter-topic",
                "stale.dead-letters");
        WebDriver driver = null;
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
            String url = awaitUrl(uiOut, server);
            driver = chromium();
            driver.get(url);
            WebDriverWait wait = new WebDriverWait(driver, DEADLINE);
            String task = "[data-task='t'] ";

            producer.sendRaw(models, "t/a", SNAPSHOTS.encode(snapshot("t", "a", 0.6)));
            producer.sendRaw(models, "t/b", SNAPSHOTS.encode(snapshot("t", "b", 0.8)));
            producer.sendRaw(annotators, "t/ann", ANNOTATORS.encode(annotator("t", "default")));
            producer.sendRaw(annotators, "t/ann\u001Fb", ANNOTATORS.encode(annotator("t", "b")));
            producer.flush();
            wait.until(d -> d.findElements(By.cssSelector(task + ".heatmap")).size() == 2
                    && !d.findElements(By.cssSelector(task + ".leaderboard")).isEmpty());
            assertThat(driver.findElement(By.cssSelector(task + ".leaderboard")).isDisplayed()).isTrue();
            assertThat(driver.findElement(By.cssSelector(task + ".annotators tr")).getText())
                    .as("the annotators' header names the variant when the task has several").startsWith("variant");

            producer.sendRaw(models, "t/b", null);
            producer.sendRaw(annotators, "t/ann", null);
            producer.sendRaw(annotators, "t/ann\u001Fb", null);
            // Each after the tombstones on its topic: a page that shows both has the view after every tombstone.
            producer.sendRaw(models, "marker/default", SNAPSHOTS.encode(snapshot("marker", "default", 0.5)));
            producer.sendRaw(annotators, "marker/ann", ANNOTATORS.encode(annotator("marker", "default")));
            producer.flush();
            String marker = "[data-task='marker'] ";
            wait.until(d -> !d.findElements(By.cssSelector(marker + ".heatmap")).isEmpty()
                    && d.findElements(By.cssSelector(marker + ".models tr")).size() == 2);

            assertThat(driver.findElements(By.cssSelector(task + ".models tr"))).as("header and variant a").hasSize(2);
            for (String gone : List.of("h3.board", ".leaderboard", "h3.ann", ".annotators", ".heatmap")) {
                assertThat(driver.findElements(By.cssSelector(task + gone))).as(gone + " of task t")
                        .noneMatch(WebElement::isDisplayed);
            }
        } finally {
            stop(driver, server);
        }
        assertThat(server.isAlive()).as("chorus ui stops when interrupted").isFalse();
    }

    /**
     * Records written straight to the topics that a page could not draw before: a snapshot created at Long.MAX_VALUE
     * (a time no JavaScript Date holds), a consensus updated at -9e15 ms, an annotator of 65 classes (more than the
     * page draws), then a dead letter. The page shows the other task and the dead letter, '–' for the times, says the
     * matrix is too large to draw, and its status says it is live, not that something could not be shown.
     */
    @Test
    void recordsThePageCannotDrawLeaveTheRestOfItLive() throws Exception {
        requireBrowser();
        String bootstrap = KAFKA.broker().bootstrapServers();
        String models = "hostile.models";
        String annotators = "hostile.annotators";
        String consensus = "hostile.consensus";
        String deadLetters = "hostile.dead-letters";
        for (String topic : List.of(models, annotators, consensus, deadLetters)) {
            KAFKA.broker().createTopic(topic, 1, Map.of());
        }
        StringWriter uiOut = new StringWriter();
        Thread server = startUi(uiOut, "dashboard-it-hostile-ui", "--bootstrap-servers", bootstrap, "--models-topic",
                models, "--annotators-topic", annotators, "--consensus-topic", consensus, "--dead-letter-topic",
                deadLetters);
        WebDriver driver = null;
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
            String url = awaitUrl(uiOut, server);
            driver = chromium();
            driver.get(url);
            WebDriverWait wait = new WebDriverWait(driver, DEADLINE);

            ModelSnapshot late = snapshot("late", "default", 0.5);
            late.setCreatedAt(Long.MAX_VALUE);
            producer.sendRaw(models, "late/default", SNAPSHOTS.encode(late));
            producer.sendRaw(models, "fine/default", SNAPSHOTS.encode(snapshot("fine", "default", 0.7)));
            int k = 65;
            AnnotatorModel wide = annotator("fine", "default");
            wide.setNumClasses(k);
            wide.setConfusion(Float32.pack(new float[k * k]));
            producer.sendRaw(annotators, "fine/ann", ANNOTATORS.encode(wide));
            producer.sendRaw(consensus, "late/x", WireFormat.AVRO.codec(Consensus.class).encode(
                    Consensus.newBuilder().setTask("late").setVariant("default").setItem("x")
                            .setPosterior(List.of(0.2, 0.8)).setMostLikely(1).setLabels(1).setAnnotators(List.of())
                            .setVersion(1).setUpdatedAt(-9_000_000_000_000_000L).build()));
            producer.flush();
            producer.sendRaw(deadLetters, "letter", WireFormat.AVRO.codec(DeadLetter.class).encode(
                    DeadLetter.newBuilder().setOriginal(ByteBuffer.allocate(0)).setKey(null).setTopic("chorus.examples")
                            .setPartition(0).setOffset(1).setReason("label: expected 0..9, got 42").setField("label")
                            .setTime(1_700_000_000_000L).build()));
            producer.flush();

            wait.until(d -> "1".equals(d.findElement(By.id("dead-letter-total")).getText())
                    && !d.findElements(By.cssSelector("[data-task='fine'] .heatmap.too-large")).isEmpty()
                    && !d.findElements(By.cssSelector("[data-task='late'] .changes tr")).isEmpty());
            assertThat(driver.findElement(By.id("dead-letters")).getText()).contains("label: expected 0..9, got 42");
            assertThat(driver.findElement(By.id("status")).getText()).as("the status after the last view")
                    .startsWith("live, updated").doesNotContain("could not show");
            assertThat(driver.findElement(By.cssSelector("[data-task='late'] .models")).getText())
                    .as("a creation time no Date holds").contains("softmax-regression 1 –");
            assertThat(driver.findElements(By.cssSelector("[data-task='late'] .changes tr")).get(1).getText())
                    .as("an update time no Date holds").endsWith(" –");
            assertThat(driver.findElement(By.cssSelector("[data-task='fine'] .heatmap.too-large")).getText())
                    .isEqualTo("ann: 65×65 confusion matrix, too large to draw");
            assertThat(driver.findElement(By.cssSelector("[data-task='fine'] .annotators")).getText())
                    .as("its summary is still shown").contains("ann 1 0.850");
            assertNoPolicyViolations(driver);
        } finally {
            stop(driver, server);
        }
        assertThat(server.isAlive()).as("chorus ui stops when interrupted").isFalse();
    }

    /** Nothing the page did was blocked by the dashboard's Content-Security-Policy (Chromium logs each refusal). */
    public static void assertNoPolicyViolations(WebDriver driver) {
        assertThat(driver.manage().logs().get(LogType.BROWSER).getAll()).as("the browser's console")
                .noneMatch(e -> e.getMessage().contains("Content Security Policy"));
    }

    /** Closes the browser, if one opened, and interrupts {@code chorus ui}, waiting up to 30 s for it to stop. */
    private static void stop(WebDriver driver, Thread server) throws InterruptedException {
        if (driver != null) {
            driver.quit();
        }
        server.interrupt();
        server.join(Duration.ofSeconds(30).toMillis());
    }

    private static final RecordCodec<ModelSnapshot> SNAPSHOTS = WireFormat.AVRO.codec(ModelSnapshot.class);
    private static final RecordCodec<AnnotatorModel> ANNOTATORS = WireFormat.AVRO.codec(AnnotatorModel.class);

    private static ModelSnapshot snapshot(String task, String variant, double accuracy) {
        return ModelSnapshot.newBuilder().setTask(task).setVariant(variant).setVersion(1)
                .setAlgorithm("softmax-regression").setSpec("{}").setParametersFormat(1)
                .setParameters(ByteBuffer.allocate(0)).setExamplesSeen(10)
                .setMetrics(Map.of("prequentialAccuracy", accuracy)).setCreatedAt(1_700_000_000_000L)
                .setProvenance(Map.of()).build();
    }

    private static AnnotatorModel annotator(String task, String variant) {
        return AnnotatorModel.newBuilder().setTask(task).setVariant(variant).setAnnotator("ann").setVersion(1)
                .setNumClasses(2).setConfusion(Float32.pack(new float[] {0.9f, 0.1f, 0.2f, 0.8f})).setReliability(0.85)
                .setWeight(null).setLabelsSeen(10).setUpdatedAt(1_700_000_000_000L).build();
    }

    /** Skips the test without Chromium, or fails it when CHORUS_REQUIRE_BROWSER=true. */
    public static void requireBrowser() {
        boolean browser = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if ("true".equals(System.getenv("CHORUS_REQUIRE_BROWSER"))) {
            assertThat(browser).as(CHROMIUM + " and " + CHROMEDRIVER + " (CHORUS_REQUIRE_BROWSER=true)").isTrue();
        }
        assumeTrue(browser, "Chromium is not installed (apt-get install chromium chromium-driver); this test opens "
                + "the dashboard in it");
    }

    /** 200 labelled examples, each labelled by one of three annotators, and two records the job must reject. */
    private static void produce(TrainSettings settings) throws Exception {
        LabeledDataset data = SyntheticBlobs.generate(200, 4, K, 11);
        try (ExampleProducer producer = new ExampleProducer(settings.bootstrapServers(), Map.of())) {
            for (int row = 0; row < data.size(); row++) {
                Example e = ExampleProducer.example(data, row, TASK, "item", 0);
                e.setAnnotator("annotator-" + row % 3);
                producer.send(settings.examplesTopic(), e);
            }
            Example badLabel = ExampleProducer.example(data, 0, TASK, "bad-label", 0);
            badLabel.setLabel(7);
            producer.send(settings.examplesTopic(), badLabel);
            producer.sendRaw(settings.examplesTopic().name(), "bad-bytes",
                    "not an example".getBytes(StandardCharsets.UTF_8));
            producer.flush();
        }
    }

    /** Starts {@code chorus ui --port 0 ARGS} on a thread named {@code name}, its output to {@code out}. */
    private static Thread startUi(StringWriter out, String name, String... args) {
        CommandLine ui = ChorusCli.commandLine(CliRun.noConfig());
        ui.setOut(new PrintWriter(out, true));
        ui.setErr(new PrintWriter(out, true));
        String[] command = new String[args.length + 3];
        command[0] = "ui";
        command[1] = "--port";
        command[2] = "0";
        System.arraycopy(args, 0, command, 3, args.length);
        Thread server = new Thread(() -> ui.execute(command), name);
        server.start();
        return server;
    }

    private static String awaitUrl(StringWriter out, Thread server) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline && server.isAlive()) {
            Matcher m = URL.matcher(out.toString());
            if (m.find()) {
                return m.group(1);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("chorus ui printed no URL; it printed: " + out);
    }

    /**
     * Debian's Chromium through Debian's chromedriver: a driver path given, so Selenium Manager never runs. Its
     * console is kept, for {@link #assertNoPolicyViolations}.
     */
    public static WebDriver chromium() {
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage");
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(CHROMEDRIVER.toString())).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }
}
