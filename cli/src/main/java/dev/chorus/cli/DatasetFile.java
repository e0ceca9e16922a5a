package dev.chorus.cli;

import dev.chorus.cli.data.CsvReader;
import dev.chorus.cli.data.IdxReader;
import dev.chorus.cli.data.LibSvmReader;
import dev.chorus.core.io.Dataset;
import dev.chorus.core.io.DenseDataset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * A dataset file and the options that say how to read it (IDX, CSV, LibSVM or JSON lines, gzip or not): what
 * {@code chorus produce} streams and {@code chorus fit} trains on, read the same way.
 */
final class DatasetFile {

    /** The dataset file formats. */
    enum InputFormat { IDX, CSV, LIBSVM, JSONL }

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE",
            description = "The dataset (produce --package-catalogue: optional, the Packages list).")
    Path file;

    @Option(names = "--input-format", paramLabel = "idx|csv|libsvm|jsonl",
            description = "Format of FILE (default: from its name: *idx3-ubyte*, *.idx; *.csv, *.tsv; *.svm, "
                    + "*.libsvm, *.svmlight; *.jsonl, *.ndjson; each optionally .gz). jsonl: one "
                    + "{\"id\":..,\"task\":..,\"fields\":{..},\"label\":..} per line.")
    InputFormat inputFormat;

    @Option(names = "--labels", paramLabel = "FILE",
            description = "IDX: the labels file (default: FILE with images-idx3 replaced by labels-idx1).")
    Path labels;

    @Option(names = "--label-column", paramLabel = "N|NAME", defaultValue = "0",
            description = "CSV: the label's column, 0-based (negative counts from the end) or its header name "
                    + "(default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Option(names = "--header", description = "CSV: the first line names the columns.")
    boolean header;

    @Option(names = "--delimiter", paramLabel = "CHAR",
            description = "CSV: the field delimiter, one character or 'tab' (default: tab for *.tsv, else ',').")
    String delimiter;

    @Option(names = "--zero-based", description = "LibSVM: feature indices start at 0, not 1.")
    boolean zeroBased;

    @Option(names = "--dim", paramLabel = "N", defaultValue = "0",
            description = "LibSVM: the number of features (default: the largest index in FILE).")
    int dim;

    /** Checks FILE and the format options before anything is read; returns FILE's format. */
    InputFormat check() {
        if (dim < 0) {
            throw usage("--dim takes values >= 0");
        }
        if (file == null) {
            throw usage("Missing required parameter: 'FILE'");
        }
        if (!Files.isRegularFile(file)) {
            throw usage("FILE " + file + ": no such file");
        }
        InputFormat input = format();
        rejectUnless(input == InputFormat.IDX, "--labels");
        rejectUnless(input == InputFormat.CSV, "--header", "--label-column", "--delimiter");
        rejectUnless(input == InputFormat.LIBSVM, "--zero-based", "--dim");
        return input;
    }

    /** Refuses each of {@code options} given on the command line unless it {@code applies} to FILE's format. */
    void rejectUnless(boolean applies, String... options) {
        CommandLine.ParseResult parsed = command.commandLine().getParseResult();
        for (String option : options) {
            if (!applies && parsed.hasMatchedOption(option)) {
                throw usage(option + " does not apply to " + format().name().toLowerCase(Locale.ROOT) + " input");
            }
        }
    }

    InputFormat format() {
        if (inputFormat != null) {
            return inputFormat;
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT).replaceFirst("\\.gz$", "");
        if (name.contains("idx3") || name.endsWith(".idx")) {
            return InputFormat.IDX;
        } else if (name.endsWith(".csv") || name.endsWith(".tsv")) {
            return InputFormat.CSV;
        } else if (name.endsWith(".svm") || name.endsWith(".libsvm") || name.endsWith(".svmlight")) {
            return InputFormat.LIBSVM;
        } else if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            return InputFormat.JSONL;
        }
        throw usage("cannot tell the format of " + file + " from its name: give --input-format idx|csv|libsvm|jsonl");
    }

    /** FILE as a dataset of rows: IDX, CSV or LibSVM (JSON lines are examples, not rows: see FieldsJsonReader). */
    Dataset read(InputFormat input) throws IOException {
        switch (input) {
            case IDX:
                Path labelsFile = labels != null ? labels : defaultLabels();
                IdxReader.Images images = IdxReader.readImages(file);
                int[] classes = IdxReader.readLabels(labelsFile);
                if (images.count() != classes.length) {
                    throw new IOException(labelsFile + ": expected one label per image of " + file + " ("
                            + images.count() + "), got " + classes.length);
                }
                double[] doubles = new double[classes.length];
                for (int i = 0; i < classes.length; i++) {
                    doubles[i] = classes[i];
                }
                return new DenseDataset(file.toString(), images.count(), images.pixelsPerImage(), images.pixels(),
                        doubles);
            case CSV:
                CsvReader csv = CsvReader.defaults().withHeader(header).withDelimiter(delimiter());
                csv = labelColumn.matches("-?\\d+") ? csv.withLabelColumn(Integer.parseInt(labelColumn))
                        : csv.withLabelColumn(labelColumn);
                return csv.read(file);
            case LIBSVM:
                LibSvmReader libsvm = LibSvmReader.defaults().withZeroBasedIndices(zeroBased);
                return (dim > 0 ? libsvm.withDim(dim) : libsvm).read(file);
            default:
                throw new IllegalStateException("unhandled input format " + input);
        }
    }

    private Path defaultLabels() {
        String name = file.getFileName().toString();
        String labelsName = name.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1");
        Path derived = file.resolveSibling(labelsName);
        if (labelsName.equals(name) || !Files.isRegularFile(derived)) {
            throw usage("IDX images " + file + " need their labels: give --labels FILE"
                    + (labelsName.equals(name) ? "" : " (" + derived + " does not exist)"));
        }
        return derived;
    }

    private char delimiter() {
        if (delimiter == null) {
            return file.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.tsv(\\.gz)?") ? '\t' : ',';
        }
        if (delimiter.equalsIgnoreCase("tab") || delimiter.equals("\\t")) {
            return '\t';
        }
        if (delimiter.length() != 1) {
            throw usage("--delimiter: expected one character or 'tab', got '" + delimiter + "'");
        }
        return delimiter.charAt(0);
    }

    ParameterException usage(String message) {
        return new ParameterException(command.commandLine(), message);
    }
}
