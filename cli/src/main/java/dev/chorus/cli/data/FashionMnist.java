package dev.chorus.cli.data;

import dev.chorus.cli.data.IdxReader;
import dev.chorus.jobs.kafka.LabeledDataset;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Fashion-MNIST, from the test split shipped in the jar or from IDX files on disk (Debian's package). */
public final class FashionMnist {

    /** Where Debian's {@code dataset-fashion-mnist} package installs the IDX files. */
    public static final Path DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    static final String SHIPPED = "/datasets/fashion-mnist/";
    static final int CLASSES = 10;

    private FashionMnist() {}

    /**
     * The demo's data: {@code "shipped"}, {@code "debian"}, a directory, or {@code "auto"} (Debian's training
     * set when installed, else the shipped test split); the first {@code limit} rows when {@code limit > 0}.
     */
    public static LabeledDataset forDemo(String choice, int limit) throws IOException {
        LabeledDataset data = switch (choice) {
            case "shipped" -> shippedTestSplit();
            case "debian" -> fromDirectory(DEBIAN_DIR, split(DEBIAN_DIR));
            case "auto" -> Files.isReadable(DEBIAN_DIR.resolve("train-images-idx3-ubyte.gz"))
                    ? fromDirectory(DEBIAN_DIR, "train") : shippedTestSplit();
            default -> fromDirectory(Path.of(choice), split(Path.of(choice)));
        };
        return limit > 0 && limit < data.size() ? head(data, limit) : data;
    }

    /** Which split {@code dir} holds, training set first; none is a bad {@code --dataset}, said with what it needs. */
    private static String split(Path dir) {
        for (String split : new String[] {"train", "t10k"}) {
            if (Files.exists(dir.resolve(split + "-images-idx3-ubyte.gz"))
                    && Files.exists(dir.resolve(split + "-labels-idx1-ubyte.gz"))) {
                return split;
            }
        }
        throw new IllegalArgumentException("expected a directory with Fashion-MNIST's train-images-idx3-ubyte.gz and "
                + "train-labels-idx1-ubyte.gz, or t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz, got " + dir
                + " without them");
    }

    /** The 10,000-image test split shipped inside the Chorus jar. */
    public static LabeledDataset shippedTestSplit() throws IOException {
        try (InputStream images = resource("t10k-images-idx3-ubyte.gz");
                InputStream labels = resource("t10k-labels-idx1-ubyte.gz")) {
            return dataset("Fashion-MNIST test split, shipped with Chorus",
                    IdxReader.readImages(images, "t10k-images-idx3-ubyte.gz"),
                    IdxReader.readLabels(labels, "t10k-labels-idx1-ubyte.gz"));
        }
    }

    /** {@code <split>-images-idx3-ubyte.gz} and {@code <split>-labels-idx1-ubyte.gz} from {@code dir}. */
    public static LabeledDataset fromDirectory(Path dir, String split) throws IOException {
        return dataset("Fashion-MNIST " + split + " split, " + dir,
                IdxReader.readImages(dir.resolve(split + "-images-idx3-ubyte.gz")),
                IdxReader.readLabels(dir.resolve(split + "-labels-idx1-ubyte.gz")));
    }

    private static LabeledDataset dataset(String name, IdxReader.Images images, int[] labels) {
        if (images.count() != labels.length) {
            throw new UncheckedIOException(new IOException(name + ": expected one label per image (" + images.count()
                    + "), got " + labels.length));
        }
        return new LabeledDataset(name, images.pixels(), labels, images.pixelsPerImage(), CLASSES);
    }

    private static LabeledDataset head(LabeledDataset data, int n) {
        return new LabeledDataset(data.name() + ", first " + n, Arrays.copyOf(data.features(), n * data.dim()),
                Arrays.copyOf(data.labels(), n), data.dim(), data.numClasses());
    }

    private static InputStream resource(String name) throws IOException {
        InputStream in = FashionMnist.class.getResourceAsStream(SHIPPED + name);
        if (in == null) {
            throw new IOException("the shipped dataset " + SHIPPED + name + " is not on the classpath");
        }
        return in;
    }
}
