/* cli_vanrossum.h - the `hebb vanrossum` command: the van Rossum distance between the spikes
 * a run recorded for one population and target spike trains read from a text file, per
 * neuron and in total, per time window (docs/output-format.md, "Spike train distance").
 *
 * Called by main() in cli.c, which passes its arguments from the command name on (argv[0]
 * is "vanrossum"). The distance itself is hebb_van_rossum_window (engine/vanrossum.c); this
 * module reads the output directory through hebb_output_read_spikes, parses the target file
 * and prints.
 */
#ifndef HEBB_IO_CLI_VANROSSUM_H
#define HEBB_IO_CLI_VANROSSUM_H

/* Runs the command; returns the exit code: 0 success, 1 the output could not be written or
 * memory ran out, 2 bad command line or bad input (output directory, population, target
 * file). Messages go to stderr. */
int hebb__cli_vanrossum(int argc, char **argv);

#endif /* HEBB_IO_CLI_VANROSSUM_H */
