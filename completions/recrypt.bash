# bash completion for recrypt(1)

_recrypt() {
  local cur prev words cword
  _init_completion || return

  local globals="--socket --json --quiet -q --version --help -h"
  local commands="personal profile known device group encrypt decrypt fingerprint agent doctor mail"

  # The command and subcommand: the first words that are not options or option values.
  local i cmd="" sub="" w
  for ((i = 1; i < cword; i++)); do
    w=${words[i]}
    case "$w" in
      --socket) ((i++)); continue ;;
      -*) continue ;;
    esac
    if [[ -z $cmd ]]; then cmd=$w
    elif [[ -z $sub ]]; then sub=$w; break
    fi
  done

  case "$prev" in
    --socket) _filedir; return ;;
    -o|--output|-R|--recipient-file) _filedir; return ;;
    -b|--backend) COMPREPLY=($(compgen -W "soft tpm pkcs11" -- "$cur")); return ;;
    --privileges) COMPREPLY=($(compgen -W "RECRYPT ADMIN SUPER" -- "$cur")); return ;;
    --approve|--deny|--wait-for) return ;;
    -s|--service|-d|--device|--fingerprint|--type|--all-of|-r|--recipient|--name) return ;;
    --per-hour|--per-day|--member|--review-key) return ;;
    --hidden-membership|--rotate-on-revoke|--review) COMPREPLY=($(compgen -W "on off" -- "$cur")); return ;;
  esac

  case "$cmd" in
    "") COMPREPLY=($(compgen -W "$commands $globals" -- "$cur")) ;;
    personal) COMPREPLY=($(compgen -W "-s --service -b --backend -d --device" -- "$cur")) ;;
    profile)
      if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "show export" -- "$cur"))
      elif [[ $sub == export ]]; then COMPREPLY=($(compgen -W "-o --output" -- "$cur")); fi ;;
    known)
      [[ -z $sub ]] && COMPREPLY=($(compgen -W "list forget" -- "$cur")) ;;
    device)
      if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "add list remove confirm" -- "$cur"))
      elif [[ $sub == confirm ]]; then COMPREPLY=($(compgen -W "on off" -- "$cur"))
      else COMPREPLY=($(compgen -W "-b --backend" -- "$cur")); fi ;;
    group)
      if [[ -z $sub ]]; then
        COMPREPLY=($(compgen -W "create add suspend revoke reinstate resplit rotate show list audit export escrow recover admin handover privileges update leave join policy review" -- "$cur"))
      else
        case "$sub" in
          create) COMPREPLY=($(compgen -W "-b --backend" -- "$cur")) ;;
          add) COMPREPLY=($(compgen -W "--fingerprint --privileges --inactive" -- "$cur")) ;;
          export) COMPREPLY=($(compgen -W "-o --output --age" -- "$cur")) ;;
          revoke) COMPREPLY=($(compgen -W "--rotate" -- "$cur")) ;;
          rotate) COMPREPLY=($(compgen -W "--page" -- "$cur")) ;;
          audit)
            if [[ $prev == --document ]]; then _filedir jcd
            else COMPREPLY=($(compgen -W "--document" -- "$cur")); fi ;;
          escrow) COMPREPLY=($(compgen -W "-o --output --to-key -b --backend --passphrase-file" -- "$cur")) ;;
          recover) COMPREPLY=($(compgen -W "--passphrase-file -b --backend" -- "$cur")) ;;
          admin)
            if [[ $prev == admin ]]; then COMPREPLY=($(compgen -W "add remove" -- "$cur"))
            else COMPREPLY=($(compgen -W "--super --fingerprint" -- "$cur")); fi ;;
          handover) COMPREPLY=($(compgen -W "--stay-member --fingerprint" -- "$cur")) ;;
          privileges)
            if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "--none" -- "$cur"))
            else COMPREPLY=($(compgen -W "RECRYPT" -- "$cur")); fi ;;
          update) COMPREPLY=($(compgen -W "--name" -- "$cur")) ;;
          policy)
            case "$prev" in
              --hidden-membership|--rotate-on-revoke|--review) COMPREPLY=($(compgen -W "on off" -- "$cur")) ;;
              *) COMPREPLY=($(compgen -W "--hidden-membership --rotate-on-revoke --review --review-key --per-hour --per-day --member --group-default" -- "$cur")) ;;
            esac ;;
          review) COMPREPLY=($(compgen -W "--all --approve --deny" -- "$cur")) ;;
        esac
      fi ;;
    encrypt)
      if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "-r --recipient -R --recipient-file --all-of -o --output --type -f --force --no-progress --threads" -- "$cur"))
      else _filedir; fi ;;
    decrypt)
      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "-o --output -f --force --no-progress --threads --wait --wait-for" -- "$cur"))
      else _filedir jcd; fi ;;
    fingerprint)
      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "--type" -- "$cur")); else _filedir; fi ;;
    agent) [[ -z $sub ]] && COMPREPLY=($(compgen -W "status lock" -- "$cur")) ;;
    doctor) COMPREPLY=($(compgen -W "--json" -- "$cur")) ;;
    mail)
      if [[ -z $sub ]]; then COMPREPLY=($(compgen -W "encrypt decrypt" -- "$cur"))
      elif [[ $cur == -* && $sub == encrypt ]]; then
        COMPREPLY=($(compgen -W "-r --recipient -R --recipient-file --protect-subject" -- "$cur"))
      else _filedir; fi ;;
  esac
}
complete -F _recrypt recrypt
