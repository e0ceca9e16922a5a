package dev.chorus.cli.bench.e2e;

/** A line that cannot run here, with the reason, recorded in place of its figures. */
final class LineSkipped extends Exception {
    private static final long serialVersionUID = 1L;

    LineSkipped(String reason) {
        super(reason);
    }
}
