from papertide.cli import main

main(prog_name="papertide")
