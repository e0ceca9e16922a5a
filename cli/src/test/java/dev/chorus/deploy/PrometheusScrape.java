package dev.chorus.deploy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The samples of Prometheus text-format {@code /metrics} pages: what Flink's Prometheus reporter serves on
 * {@code 127.0.0.1:<port>} for each JobManager and TaskManager of deploy/local-cluster.
 */
final class PrometheusScrape {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** One sample: metric name, labels, value. */
    record Sample(String name, Map<String, String> labels, double value) {}

    private final List<Sample> samples;
    private final int endpoints;

    private PrometheusScrape(List<Sample> samples, int endpoints) {
        this.samples = samples;
        this.endpoints = endpoints;
    }

    /** Scrapes every port of {@code from..to} on 127.0.0.1 that answers; ports nothing listens on are skipped. */
    static PrometheusScrape of(int from, int to) throws IOException, InterruptedException {
        List<Sample> samples = new ArrayList<>();
        int endpoints = 0;
        for (int port = from; port <= to; port++) {
            HttpResponse<String> r;
            try {
                r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
            } catch (ConnectException e) {
                continue;
            }
            if (r.statusCode() != 200) {
                throw new IOException("GET http://127.0.0.1:" + port + "/metrics: HTTP " + r.statusCode());
            }
            endpoints++;
            samples.addAll(parse(r.body()));
        }
        return new PrometheusScrape(samples, endpoints);
    }

    /** The samples of a text-format page: {@code name{label="value",...} number}; comments skipped. */
    static List<Sample> parse(String page) {
        List<Sample> samples = new ArrayList<>();
        for (String line : page.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            int brace = line.indexOf('{');
            int space = line.lastIndexOf(' ');
            Map<String, String> labels = new TreeMap<>();
            String name;
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                labels(line.substring(brace + 1, line.lastIndexOf('}')), labels);
            } else {
                name = line.substring(0, space);
            }
            samples.add(new Sample(name, labels, Double.parseDouble(line.substring(space + 1))));
        }
        return samples;
    }

    /** Parses {@code a="x",b="y\"z"} (values escaped with backslashes) into {@code labels}. */
    private static void labels(String text, Map<String, String> labels) {
        int i = 0;
        while (i < text.length()) {
            int eq = text.indexOf('=', i);
            String key = text.substring(i, eq).trim();
            StringBuilder value = new StringBuilder();
            int j = eq + 2; // past ="
            for (; text.charAt(j) != '"'; j++) {
                char c = text.charAt(j);
                if (c == '\\') {
                    char next = text.charAt(++j);
                    value.append(next == 'n' ? '\n' : next);
                } else {
                    value.append(c);
                }
            }
            labels.put(key, value.toString());
            i = j + 1;
            if (i < text.length() && text.charAt(i) == ',') {
                i++;
            }
        }
    }

    int endpoints() {
        return endpoints;
    }

    /** The distinct metric names scraped. */
    Set<String> names() {
        Set<String> names = new TreeSet<>();
        samples.forEach(s -> names.add(s.name()));
        return names;
    }

    /** The values of {@code name} whose labels include {@code labels} (NaN ones too). */
    List<Double> values(String name, Map<String, String> labels) {
        return samples.stream().filter(s -> s.name().equals(name)
                && s.labels().entrySet().containsAll(labels.entrySet())).map(Sample::value).toList();
    }

    /** The sum of the finite values of {@code name} whose labels include {@code labels}. */
    double sum(String name, Map<String, String> labels) {
        return values(name, labels).stream().filter(Double::isFinite).mapToDouble(Double::doubleValue).sum();
    }
}
