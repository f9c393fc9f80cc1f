#include "blink_sub/cli.hpp"
#include "blink_sub/log.hpp"
#include "blink_sub/runner.hpp"

#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    // A closed stdout shows up as EPIPE from write(), not as a fatal signal.
    std::signal(SIGPIPE, SIG_IGN);

    std::vector<std::string> args(argv, argv + argc);
    blink_sub::CliResult cli = blink_sub::parse_cli(args, blink_sub::process_env);
    if (!cli.options) {
        std::fputs(cli.out.c_str(), stdout);
        std::fputs(cli.err.c_str(), stderr);
        return cli.exit_code;
    }

    blink_sub::init_logging(cli.options->verbosity);
    return blink_sub::to_int(blink_sub::run(*cli.options));
}
