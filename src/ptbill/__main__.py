import gc

# The collector waits until main() has loaded the command's modules (see ptbill.cli.main): loading the CLI's
# own modules would otherwise start ~20 young collections, each scanning the growing heap.
gc.disable()

from ptbill.cli.main import main  # noqa: E402 - after the collector is paused

main()
